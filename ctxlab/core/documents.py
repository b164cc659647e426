"""One reader for every document a user opens: a file, a bundled sample or stdin.

Each source goes through the same checks (a NUL byte means binary, a UTF-8
byte-order mark is stripped) and the result says how its bytes were decoded,
so a screen can tell the user when text was decoded lossily and a save can
refuse to write U+FFFD back over the original bytes. The CLI and the TUI both
read documents here. A paste is already text and is kept exactly as pasted
(NUL and BOM included: the view draws them as glyphs); only a pasted path of a
file dragged onto the terminal is recognised here, and opened as a file.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ctxlab.core.errors import UserError
from ctxlab.core.textfile import (
    COUNTED,
    OK,
    REPLACED,
    TextFile,
    read_text_file,
    read_text_stream,
)

MAX_DOCUMENT_BYTES = 64 << 20  # bigger than any book; stops an accidental disk image


class DocumentError(UserError):
    """A document cannot be opened; the message is one line for a notification or stderr."""


@dataclass(frozen=True)
class Decoding:
    """How a document's bytes became its text."""

    status: str = OK  # a ``textfile`` status: "ok", "empty" or "replaced" (lossy)
    bom: bool = False  # a UTF-8 byte-order mark was stripped
    detail: str = ""  # for a lossy decode: where the first invalid byte was

    @property
    def lossy(self) -> bool:
        """Invalid UTF-8 became U+FFFD: writing the text back would not restore the bytes."""
        return self.status == REPLACED


@dataclass(frozen=True)
class Document:
    text: str
    name: str  # what the title shows
    path: Path | None = None  # where it was read from (None: stdin, a paste, typed)
    decoding: Decoding = Decoding()


def read_path(path: Path) -> Document:
    """The document in ``path``; invalid UTF-8 is shown as U+FFFD and reported as lossy."""
    return _document(read_text_file(path, replace_invalid=True, max_bytes=MAX_DOCUMENT_BYTES),
                     path.name, path)


def read_sample(name: str) -> Document:
    from ctxlab.core.samples import get_sample

    try:
        sample = get_sample(name)
    except (KeyError, FileNotFoundError) as exc:
        raise DocumentError(str(exc).strip("'\"")) from None
    return read_path(sample.path)


def read_stream(stream: BinaryIO, name: str = "stdin") -> Document:
    """A document piped in (``cat x | ctxlab -``), checked exactly like a file."""
    return _document(read_text_stream(stream, name, replace_invalid=True,
                                      max_bytes=MAX_DOCUMENT_BYTES), name, None)


def _document(result: TextFile, name: str, path: Path | None) -> Document:
    if result.status not in COUNTED:
        raise DocumentError(f"cannot open {result.path}: {result.status} ({result.detail})")
    return Document(result.text, name, path, Decoding(result.status, result.bom, result.detail))


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
    path = Path(words[0].removeprefix("file://")).expanduser()
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):  # a NUL byte or an over-long name is not a path
        return None
