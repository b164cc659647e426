"""Read a file as text, classifying everything that is not plain UTF-8.

Nothing is silently dropped: every file gets a status a report can show.
Binary means "has a NUL byte in its first 8 KiB", git's own heuristic.
Non-UTF-8 files are skipped unless the caller asks for U+FFFD replacement,
in which case the count is flagged as approximate.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, NamedTuple

BINARY_SNIFF_BYTES = 8192
READ_CHUNK_BYTES = 1 << 20
MAX_TEXT_BYTES = 512 << 20  # the most any command reads of one input
UTF8_BOM = b"\xef\xbb\xbf"

# Statuses a file can end in; only "ok", "empty" and "replaced" carry a count.
OK, EMPTY, REPLACED, BINARY, NON_UTF8, UNREADABLE, TOO_LARGE = (
    "ok", "empty", "replaced", "binary", "non-utf8", "unreadable", "too-large",
)
COUNTED = frozenset({OK, EMPTY, REPLACED})


class TextFile(NamedTuple):  # not a frozen dataclass: that costs ~1 ms to define, at every start
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
    if data.find(b"\x00", 0, BINARY_SNIFF_BYTES) >= 0:  # no copy of the first 8 KiB
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


def read_limited(path: Path, max_bytes: int, *, stop_at_nul: bool = False) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path``: a longer result means "too large".

    The limit is on bytes actually read, so a FIFO, ``/dev/zero`` or a file that grows
    cannot make us read without end. With ``stop_at_nul``, reading stops once the first
    8 KiB show a NUL byte (binary: nothing more is needed to say so).
    """
    with open(path, "rb", buffering=0) as handle:
        return read_stream(handle, max_bytes, stop_at_nul=stop_at_nul)


def read_stream(stream: BinaryIO, max_bytes: int, *, stop_at_nul: bool = False) -> bytes:
    """``read_limited`` for an open binary stream (stdin, a pipe)."""
    chunks: list[bytes] = []
    got = 0
    sniffing = stop_at_nul
    while got <= max_bytes:
        chunk = stream.read(min(READ_CHUNK_BYTES, max_bytes + 1 - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
        if sniffing and got >= BINARY_SNIFF_BYTES:
            sniffing = False
            if b"\x00" in b"".join(chunks)[:BINARY_SNIFF_BYTES]:
                break
    return b"".join(chunks)


def read_text_file(path: str | os.PathLike[str], *, replace_invalid: bool = False,
                   max_bytes: int = MAX_TEXT_BYTES) -> TextFile:
    """Read ``path`` (a file, FIFO or device); the result says whether and how it can be counted.

    A regular file is read with bare ``os`` calls, in one read unless it is big: ``count``
    reads thousands of files, and file objects cost more than the reading."""
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return TextFile(name, UNREADABLE, detail=exc.strerror or type(exc).__name__)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device: read it as a stream, bounded
            with open(fd, "rb", buffering=0, closefd=False) as stream:
                return read_text_stream(stream, name, replace_invalid=replace_invalid,
                                        max_bytes=max_bytes)
        if info.st_size > max_bytes:  # no need to read it to know
            return TextFile(name, TOO_LARGE, size=info.st_size,
                            detail=f"{info.st_size:,} bytes is over the {max_bytes:,}-byte limit")
        if info.st_size <= READ_CHUNK_BYTES:  # most files: one read (decode_bytes sniffs)
            data = _read_up_to(fd, b"", info.st_size + 1)
        else:  # a big binary file is known by its first 8 KiB: read no more of it
            data = _read_up_to(fd, b"", BINARY_SNIFF_BYTES)
            if b"\x00" in data:
                return TextFile(name, BINARY, size=info.st_size, detail="contains NUL bytes")
            data = _read_up_to(fd, data, info.st_size + 1)
        if len(data) > info.st_size:  # it grew while we looked: read on, to the limit
            with open(fd, "rb", buffering=0, closefd=False) as rest:
                data += read_stream(rest, max_bytes - len(data))
    except OSError as exc:
        return TextFile(name, UNREADABLE, detail=exc.strerror or type(exc).__name__)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return TextFile(name, TOO_LARGE, size=len(data),
                        detail=f"more than the {max_bytes:,}-byte limit")
    return decode_bytes(data, name, replace_invalid=replace_invalid)


def _read_up_to(fd: int, data: bytes, size: int) -> bytes:
    """``data`` and what follows it in ``fd``, to ``size`` bytes or the end of the file: one
    read, unless the file system returns less than asked before the end."""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_text_stream(stream: BinaryIO, name: str, *, replace_invalid: bool = False,
                     max_bytes: int = MAX_TEXT_BYTES) -> TextFile:
    """``read_text_file`` for an open stream such as ``sys.stdin.buffer``."""
    data = read_stream(stream, max_bytes, stop_at_nul=True)
    if len(data) > max_bytes:
        return TextFile(name, TOO_LARGE, size=len(data),
                        detail=f"more than the {max_bytes:,}-byte limit")
    return decode_bytes(data, name, replace_invalid=replace_invalid)
