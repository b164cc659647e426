"""Word counts equal to ``len(text.split())``, cheaper than splitting.

Splitting 30 MB of source into millions of ``str`` objects costs about a third
as much as tokenizing it with the fast engine, and holds the GIL throughout.
The C module (``_ascii_count.c``) counts the runs of non-space characters of a
whole batch without the GIL, with CPython's own test of a space. Without it,
ASCII text takes two C-speed passes over the bytes (``translate`` to two
classes, then ``count`` the run starts), other text ``str.split``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_ASCII_SPACES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # exactly the ASCII chars str.isspace() accepts
_CLASSES = bytes(0x20 if b in _ASCII_SPACES else 0x78 for b in range(256))  # " " or "x"

_native_words: Callable[[Sequence[str]], list[int]] | None
try:
    from ctxlab.core._ascii_count import words_batch as _native_words
except ImportError:  # not compiled at install (no C compiler)
    _native_words = None


def count_words(text: str) -> int:
    """``len(text.split())``."""
    if not text.isascii():
        return len(text.split())
    classes = text.encode("ascii").translate(_CLASSES)
    return classes.count(b" x") + classes.startswith(b"x")


def count_words_batch(texts: Sequence[str]) -> list[int]:
    """``[len(t.split()) for t in texts]``, without the GIL where the C module is built."""
    if _native_words is None:
        return [count_words(t) for t in texts]
    return _native_words(texts)
