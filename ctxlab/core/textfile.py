"""Read a file as text, classifying everything that is not plain UTF-8.

Nothing is silently dropped: every file gets a status a report can show.
Binary means "has a NUL byte in its first 8 KiB", git's own heuristic.
Non-UTF-8 files are skipped unless the caller asks for U+FFFD replacement,
in which case the count is flagged as approximate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BINARY_SNIFF_BYTES = 8192
UTF8_BOM = b"\xef\xbb\xbf"

# Statuses a file can end in; only "ok", "empty" and "replaced" carry a count.
OK, EMPTY, REPLACED, BINARY, NON_UTF8, UNREADABLE, TOO_LARGE = (
    "ok", "empty", "replaced", "binary", "non-utf8", "unreadable", "too-large",
)
COUNTED = frozenset({OK, EMPTY, REPLACED})


@dataclass(frozen=True)
class TextFile:
    path: str
    status: str
    text: str = ""
    size: int = 0  # bytes on disk
    bom: bool = False  # a UTF-8 byte-order mark was stripped before counting
    detail: str = ""  # why, for anything not counted as-is

    @property
    def counted(self) -> bool:
        return self.status in COUNTED


def decode_bytes(data: bytes, name: str, *, replace_invalid: bool = False) -> TextFile:
    """Classify and decode ``data`` (already read) the same way files are."""
    if not data:
        return TextFile(name, EMPTY)
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return TextFile(name, BINARY, size=len(data), detail="contains NUL bytes")
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    try:
        return TextFile(name, OK, body.decode("utf-8"), len(data), bom)
    except UnicodeDecodeError as exc:
        where = f"invalid UTF-8 at byte {exc.start + (3 if bom else 0)}"
        if not replace_invalid:
            return TextFile(name, NON_UTF8, size=len(data), bom=bom, detail=where)
        text = body.decode("utf-8", errors="replace")
        return TextFile(name, REPLACED, text, len(data), bom, f"{where}; counted with U+FFFD")


def read_text_file(path: Path, *, replace_invalid: bool = False,
                   max_bytes: int | None = None) -> TextFile:
    """Read ``path``; the result says whether and how it can be counted."""
    name = str(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return TextFile(name, TOO_LARGE, size=size,
                            detail=f"{size:,} bytes is over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        return TextFile(name, UNREADABLE, detail=exc.strerror or type(exc).__name__)
    return decode_bytes(data, name, replace_invalid=replace_invalid)
