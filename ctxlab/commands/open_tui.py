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
@click.option("-m", "--model", metavar="NAME",
              help="The local model of recall and surprisal: smollm2 (default), gemma3-270m "
              "(`ctxlab model list`), a .gguf file or a checkpoint directory.")
@friendly_errors
def command(file: str | None, sample: str | None, tokenizers: tuple[str, ...],
            model: str | None) -> None:
    """Open the TUI on FILE, a bundled sample, or stdin."""
    from ctxlab.config import load_settings
    from ctxlab.core.documents import Document, DocumentError, read_path, read_sample, read_stream

    # ConfigError (a bad tokenizer list, an unknown model) is a UserError: one line
    settings = load_settings(flags={"tokenizers": tokenizers, "model": model})
    document = Document("", "untitled")
    try:
        if file == "-":
            document = read_stream(sys.stdin.buffer)
            _reattach_terminal()
        elif file:
            document = read_path(Path(file))
        elif sample:
            document = read_sample(sample)
    except DocumentError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None

    from ctxlab.tui.app import CtxlabApp
    from ctxlab.tui.launch import run_app

    run_app(CtxlabApp(settings=settings, text=document.text, name=document.name,
                      path=document.path, decoding=document.decoding))


def _reattach_terminal() -> None:
    """After reading a piped document, point stdin back at the terminal for the TUI's keys."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        raise CtxlabError("stdin was a pipe and there is no terminal to run the TUI in") from None
    os.dup2(tty, 0)
    os.close(tty)
