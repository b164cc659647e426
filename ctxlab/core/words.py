"""Word counts equal to ``len(text.split())``, cheaper for ASCII text.

Splitting 30 MB of source into millions of ``str`` objects costs about a third
as much as tokenizing it with the fast engine. For ASCII text the same number
is the count of non-space runs, found with two C-speed passes over the bytes
(``translate`` to two classes, then ``count`` the run starts) and no per-word
objects. Other text takes ``str.split``, whose Unicode spaces are the rule.
"""

from __future__ import annotations

_ASCII_SPACES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # exactly the ASCII chars str.isspace() accepts
_CLASSES = bytes(0x20 if b in _ASCII_SPACES else 0x78 for b in range(256))  # " " or "x"


def count_words(text: str) -> int:
    """``len(text.split())``."""
    if not text.isascii():
        return len(text.split())
    classes = text.encode("ascii").translate(_CLASSES)
    return classes.count(b" x") + classes.startswith(b"x")
