"""What the token view draws for each character, and how many cells that takes.

Invisible and control characters (NUL, ZWJ, bidi overrides, variation
selectors) are drawn as visible one-cell glyphs: they are often exactly where
tokenizers split, a raw NUL or bidi override would corrupt the terminal, and
measuring every character on its own keeps the view's arithmetic identical to
Rich's (which otherwise merges ZWJ sequences into one glyph).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import get_character_cell_size

TAB_CELLS = 4
FORMAT_GLYPH = "◇"  # zero-width joiners, bidi controls, variation selectors, BOM
UNPRINTABLE_GLYPH = "◆"  # C1 controls and lone surrogates

# Shown only with whitespace glyphs on; the same width either way, so toggling never re-wraps.
_WHITESPACE = {" ": ("·", " "), "\n": ("↵", " "), "\u00a0": ("⍽", " "),
               "\t": ("→" + " " * (TAB_CELLS - 1), " " * TAB_CELLS)}

_LABEL_GLYPHS = {"\n": "↵", "\t": "→"}


@lru_cache(maxsize=8192)
def _substitute(char: str) -> str | None:
    """The glyph drawn in place of ``char`` whatever the whitespace setting, or None."""
    point = ord(char)
    if point < 0x20 and char not in "\t\n":
        return chr(0x2400 + point)  # control pictures: ␀ ␁ … ␍ …
    if point == 0x7F:
        return "␡"
    if 0x80 <= point < 0xA0 or 0xD800 <= point < 0xE000:
        return UNPRINTABLE_GLYPH
    category = unicodedata.category(char)
    if category in ("Cf", "Zl", "Zp") or 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF:
        return FORMAT_GLYPH
    return None


def cell_width(point: int) -> int:
    """Cells the token view uses for code point ``point``."""
    char = chr(point)
    if char in _WHITESPACE:
        return len(_WHITESPACE[char][1])
    if _substitute(char) is not None:
        return 1
    return get_character_cell_size(char)


class GlyphMap:
    """Translate tables from raw text to drawable text, one per whitespace setting."""

    def __init__(self) -> None:
        self._tables: dict[bool, dict[int, str]] = {
            True: {ord(c): shown for c, (shown, _) in _WHITESPACE.items()},
            False: {ord(c): hidden for c, (_, hidden) in _WHITESPACE.items()},
        }

    def drawable(self, text: str, show_whitespace: bool) -> str:
        table = self._tables[show_whitespace]
        if not text.isprintable() or "\n" in text or "\t" in text:
            for char in set(text):
                if ord(char) not in table and (glyph := _substitute(char)) is not None:
                    self._tables[True][ord(char)] = self._tables[False][ord(char)] = glyph
        return text.translate(table)


def describe_char(char: str) -> str:
    """A short name for the inspector: ``U+200D ZERO WIDTH JOINER``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` for a label or notice: controls and invisible characters drawn as glyphs
    (a file name's ESC must not reach the terminal); newlines kept only with ``lines``."""
    if text.isprintable():
        return text
    return "".join(char if lines and char == "\n" else
                   _substitute(char) or _LABEL_GLYPHS.get(char, char) for char in text)
