"""Read user-named inputs (``-`` is stdin) as text, or stop with one clear line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError
from ctxlab.core.textfile import read_text_file, read_text_stream


def read_input_text(path: Path | str) -> str:
    """The text of one path; binary, non-UTF-8 or unreadable input exits 3 with the reason."""
    tf = read_text_stream(sys.stdin.buffer, "-") if str(path) == "-" else read_text_file(
        Path(path))
    if not tf.counted:
        raise CtxlabError(f"{tf.path}: {tf.status}{': ' + tf.detail if tf.detail else ''}",
                          EXIT_INPUT)
    return tf.text


def argument_text(text: str) -> str:
    """A TEXT argument; bytes that are not UTF-8 (a Latin-1 terminal) exit 3, as files do."""
    from ctxlab.core.safe_text import undecodable_byte

    byte = undecodable_byte(text)
    if byte is not None:
        raise CtxlabError(f"the text argument is not UTF-8 (byte 0x{byte:02x}); "
                          "re-encode it, or pass it with --file", EXIT_INPUT)
    return text


def read_texts(paths: Sequence[Path]) -> list[str]:
    """The text of each path, in order; the first unusable one stops the command."""
    return [read_input_text(p) for p in paths]
