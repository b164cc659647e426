"""`ctxlab open [FILE]`: the TUI on a file, a bundled sample, or stdin (`-`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError, friendly_errors


@click.command("open")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--sample", metavar="NAME",
              help="Open a bundled sample (dragon_story, multilingual, …).")
@click.option("-t", "--tokenizer", "tokenizers", multiple=True, metavar="NAME",
              help="Tokenizer(s) to show and compare; the first is the token view's. Repeatable.")
@friendly_errors
def command(file: str | None, sample: str | None, tokenizers: tuple[str, ...]) -> None:
    """Open the TUI on FILE, a bundled sample, or stdin."""
    from ctxlab.config import load_settings
    from ctxlab.core.textfile import read_text_stream
    from ctxlab.tui.documents import MAX_DOCUMENT_BYTES, DocumentError, read_path, read_sample

    settings = load_settings(flags={"tokenizers": tokenizers})  # ConfigError is a UserError
    text, name, path = "", "untitled", None
    try:
        if file == "-":
            piped = read_text_stream(sys.stdin.buffer, "stdin", replace_invalid=True,
                                     max_bytes=MAX_DOCUMENT_BYTES)
            if not piped.counted:
                raise DocumentError(f"stdin: {piped.status} ({piped.detail})")
            text, name = piped.text, "stdin"
            _reattach_terminal()
        elif file:
            path = Path(file)
            text, name = read_path(path), path.name
        elif sample:
            text, path = read_sample(sample)
            name = path.name
    except DocumentError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None

    from ctxlab.tui.app import CtxlabApp
    from ctxlab.tui.launch import run_app

    run_app(CtxlabApp(settings=settings, text=text, name=name, path=path))


def _reattach_terminal() -> None:
    """After reading a piped document, point stdin back at the terminal for the TUI's keys."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        raise CtxlabError("stdin was a pipe and there is no terminal to run the TUI in") from None
    os.dup2(tty, 0)
    os.close(tty)
