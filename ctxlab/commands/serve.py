"""``ctxlab serve``: the TUI in a browser for a room of students (needs ``ctxlab[serve]``).

Every browser tab gets its own app process on this machine. By default only
this machine can connect; another ``--host`` is a deliberate choice and is
warned about, because whoever reaches the port gets a session.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shlex
import socket
import sys
from pathlib import Path

import click

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError, friendly_errors
from ctxlab.commands.model import MODEL_HELP

DEFAULT_MAX_SESSIONS = 4
INSTALL_HINT = 'ctxlab serve needs textual-serve: pip install "ctxlab[serve]"'


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--sample", metavar="NAME", help="Serve a bundled sample (dragon_story, …).")
@click.option("--lesson", metavar="NAME", help="Serve a lesson (a name or a number).")
@click.option("--step", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --lesson: open at this step.")
@click.option("-t", "--tokenizer", "tokenizers", multiple=True, metavar="NAME",
              help="Tokenizer(s) to show and compare. Repeatable.")
@click.option("-m", "--model", metavar="NAME",
              help="The local model every session starts with: " + MODEL_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; anything but localhost lets others connect.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--public-url", metavar="URL",
              help="The address students open, when a proxy sits in front of this server.")
@click.option("--max-sessions", type=click.IntRange(min=1), default=DEFAULT_MAX_SESSIONS,
              show_default=True, help="Browser tabs served at once (one app process each).")
@friendly_errors
def command(file: str | None, sample: str | None, lesson: str | None, step: int,
            tokenizers: tuple[str, ...], model: str | None, host: str, port: int,
            public_url: str | None, max_sessions: int) -> None:
    """Serve the TUI on FILE, a sample or a lesson to web browsers (one app per tab)."""
    if importlib.util.find_spec("textual_serve") is None:
        raise CtxlabError(INSTALL_HINT)
    if sum(x is not None for x in (file, sample, lesson)) > 1:
        raise CtxlabError("give one of FILE, --sample and --lesson")
    app_args, title = _app_args(file, sample, lesson, step, tokenizers, model)
    if file:  # the one file on this disk its sessions may open (they inherit the environment)
        from ctxlab.tui.delivery import SERVED_FILE_ENV

        os.environ[SERVED_FILE_ENV] = str(Path(file).resolve())
    _check_port(host, port)
    address = _address(host, port, public_url)
    if not _is_local(host):
        click.echo(f"ctxlab: warning: listening on {host}: anyone who can reach port {port} "
                   "gets a session, with no password", err=True)

    from ctxlab.serve.server import ClassroomServer

    command_line = "exec " + shlex.join([sys.executable, "-m", "ctxlab", *app_args])
    server = ClassroomServer(command_line, host=host, port=port, public_url=public_url,
                             max_sessions=max_sessions, title=title)
    click.echo(f"ctxlab serve: open {address} in a browser (up to {max_sessions} sessions at "
               "once; Ctrl+C stops)")
    server.serve()


def _app_args(file: str | None, sample: str | None, lesson: str | None, step: int,
              tokenizers: tuple[str, ...], model: str | None) -> tuple[list[str], str]:
    """The ``ctxlab`` arguments each session runs, checked now so a typo fails here, once."""
    from ctxlab.core.local_models import model_choice

    # ModelError and LessonError are UserErrors: one line
    model_options = ["--model", model_choice(model).name] if model else []
    options = [arg for name in tokenizers for arg in ("-t", name)] + model_options
    if lesson is not None:
        from ctxlab.core.lessons.loader import load_lesson

        found = load_lesson(lesson)
        return (["lesson", lesson, "--step", str(step), *model_options],
                f"ctxlab · lesson {found.number}: {found.title}")
    from ctxlab.core.documents import DocumentError, read_path, read_sample

    try:
        if sample is not None:
            read_sample(sample)
            return ["open", "--sample", sample, *options], f"ctxlab · {sample}"
        if file is not None:
            path = Path(file).resolve()
            read_path(path)
            return ["open", str(path), *options], f"ctxlab · {path.name}"
    except DocumentError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None
    return ["open", *options], "ctxlab"


def _check_port(host: str, port: int) -> None:
    """Fail before printing an address that will not answer (port taken, unknown host)."""
    try:
        socket.create_server((host, port), reuse_port=False).close()
    except OSError as exc:
        raise CtxlabError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _address(host: str, port: int, public_url: str | None) -> str:
    if public_url:
        return public_url
    if host in ("0.0.0.0", "::", ""):
        return f"http://<this machine's address>:{port}/"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: only "localhost" is known to stay on this machine
        return False
