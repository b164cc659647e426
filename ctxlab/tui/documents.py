"""Where documents come from: files, bundled samples, and paths dragged onto the terminal."""

from __future__ import annotations

import shlex
from pathlib import Path

from ctxlab.core.samples import get_sample
from ctxlab.core.textfile import COUNTED, read_text_file

MAX_DOCUMENT_BYTES = 64 << 20  # bigger than any book; stops an accidental disk image


class DocumentError(Exception):
    """A document cannot be opened; the message is one line for a notification."""


def read_path(path: Path) -> str:
    """The text of ``path``; invalid UTF-8 is shown as U+FFFD (it is in the file, not invented)."""
    result = read_text_file(path, replace_invalid=True, max_bytes=MAX_DOCUMENT_BYTES)
    if result.status not in COUNTED:
        raise DocumentError(f"cannot open {path}: {result.status} ({result.detail})")
    return result.text


def read_sample(name: str) -> tuple[str, Path]:
    try:
        sample = get_sample(name)
    except (KeyError, FileNotFoundError) as exc:
        raise DocumentError(str(exc).strip("'\"")) from None
    return read_path(sample.path), sample.path


def dropped_path(pasted: str) -> Path | None:
    """The file a terminal pasted when one was dragged onto it (quoted or backslash-escaped)."""
    candidate = pasted.strip()
    if not candidate or "\n" in candidate or len(candidate) > 4096:
        return None
    try:
        words = shlex.split(candidate)
    except ValueError:
        return None
    if len(words) != 1:
        return None
    raw = words[0]
    path = Path(raw.removeprefix("file://")).expanduser()
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):  # a NUL byte or an over-long name is not a path
        return None
