"""Read user-named inputs (``-`` is stdin) as text, or stop with one clear line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError
from ctxlab.core.textfile import decode_bytes, read_text_file


def read_input_text(path: Path | str) -> str:
    """The text of one path; binary, non-UTF-8 or unreadable input exits 3 with the reason."""
    tf = decode_bytes(sys.stdin.buffer.read(), "-") if str(path) == "-" else read_text_file(
        Path(path))
    if not tf.counted:
        raise CtxlabError(f"{tf.path}: {tf.status}{': ' + tf.detail if tf.detail else ''}",
                          EXIT_INPUT)
    return tf.text


def read_texts(paths: Sequence[Path]) -> list[str]:
    """The text of each path, in order; the first unusable one stops the command."""
    return [read_input_text(p) for p in paths]
