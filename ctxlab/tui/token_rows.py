"""Draw one wrapped row of a tokenized document as styled segments.

Only the tokens that touch the row are visited, so drawing costs the same for
a tweet and for a book. Tokens that share one character (its bytes split over
several tokens) draw that character once, in the split style.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from rich.segment import Segment
from rich.style import Style

from ctxlab.config import COLOUR_MODES
from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import TextLayout
from ctxlab.tui.glyphs import GlyphMap, cell_width
from ctxlab.tui.token_styles import TokenFacts, TokenStyles


@dataclass(frozen=True)
class Look:
    """How every token view draws its text; the user toggles it (``c``, ``w``)."""

    colour_mode: str = COLOUR_MODES[0]  # one of `COLOUR_MODES`
    show_whitespace: bool = False  # spaces, tabs and newlines as glyphs

    def next_colours(self) -> Look:
        """The same look in the next colour mode (they cycle)."""
        at = COLOUR_MODES.index(self.colour_mode) if self.colour_mode in COLOUR_MODES else -1
        return replace(self, colour_mode=COLOUR_MODES[(at + 1) % len(COLOUR_MODES)])

    def toggled_whitespace(self) -> Look:
        return replace(self, show_whitespace=not self.show_whitespace)


@dataclass(frozen=True, eq=False)
class Marks:
    """Per-token overlays for one set of spans (each array has one entry per token)."""

    dropped: np.ndarray | None = None  # bool: cut by truncation, or unseen by the model
    heat: np.ndarray | None = None  # int: surprisal overlay level (`heat_levels`)
    marked: np.ndarray | None = None  # bool: flagged by the caller (compare: disagreement)


@dataclass(frozen=True, eq=False)
class TokenPaint:
    """Everything that decides how rows look; a new one invalidates every cached row."""

    text: str
    layout: TextLayout
    spans: TokenSpans | None = None
    look: Look = Look()
    marks: Marks = Marks()

    def tokens_in_row(self, row: int) -> tuple[int, int]:
        """Index range of the tokens whose characters are drawn on ``row``."""
        if self.spans is None or not 0 <= row < len(self.layout):
            return 0, 0
        start, end = int(self.layout.row_start[row]), int(self.layout.row_end[row])
        first = int(np.searchsorted(self.spans.char_end, start, side="right"))
        last = int(np.searchsorted(self.spans.char_start, end, side="left"))
        return first, max(first, last)


class RowPainter:
    """Turns rows into segments; holds the style and glyph caches rows share."""

    def __init__(self) -> None:
        self.styles = TokenStyles()  # the token view gives it the theme's palette
        self.glyphs = GlyphMap()

    def segments(self, paint: TokenPaint, row: int, cursor: int, plain: Style) -> list[Segment]:
        start, end = int(paint.layout.row_start[row]), int(paint.layout.row_end[row])
        spans, text, marks = paint.spans, paint.text, paint.marks
        show_ws = paint.look.show_whitespace
        if spans is None or len(spans) == 0:
            return [Segment(self.glyphs.drawable(text[start:end], show_ws), plain)]
        first, last = paint.tokens_in_row(row)
        char_start = spans.char_start[first:last].tolist()
        char_end = spans.char_end[first:last].tolist()
        ids = spans.ids[first:last].tolist()
        split = spans.split[first:last].tolist()
        special = spans.special[first:last].tolist()
        dropped = (marks.dropped[first:last].tolist() if marks.dropped is not None
                   else [False] * (last - first))
        heat = (marks.heat[first:last].tolist() if marks.heat is not None
                else [None] * (last - first))
        marked = (marks.marked[first:last].tolist() if marks.marked is not None
                  else [False] * (last - first))
        out: list[Segment] = []
        before_here = False  # the cursor is on the token segment last drawn
        pos = start
        for k in range(last - first):
            token_start, token_end = max(char_start[k], pos), min(char_end[k], end)
            if token_start > pos:  # characters no token covers
                out.append(Segment(self.glyphs.drawable(text[pos:token_start], show_ws), plain))
            if token_end <= token_start:
                continue  # already drawn by an earlier token sharing the character, or empty
            index = first + k
            here = _cursor_here(spans, cursor, index, token_start, token_end)
            piece = self.glyphs.drawable(text[token_start:token_end], show_ws)
            shared = out and out[-1].style is not plain and _takes_no_cell(piece)
            if shared:  # a combining mark as its own token: it shares the cell before it,
                before = out.pop()  # which is drawn as a character shared by two tokens
                if len(before.text) > 1:
                    out.append(Segment(before.text[:-1], before.style))
                piece, here = before.text[-1] + piece, here or before_here
            facts = TokenFacts(index, ids[k], split[k] or bool(shared), special[k], dropped[k],
                               here, heat[k], marked[k])
            style = self.styles.style(facts, paint.look.colour_mode)
            out.append(Segment(piece, style))
            before_here, pos = here, token_end
        if pos < end:
            out.append(Segment(self.glyphs.drawable(text[pos:end], show_ws), plain))
        return out


def _takes_no_cell(piece: str) -> bool:
    """Combining marks and other zero-width characters alone: a token drawn in no cell."""
    return bool(piece) and not piece.isascii() and all(cell_width(ord(c)) == 0 for c in piece)


def _cursor_here(spans: TokenSpans, cursor: int, index: int, start: int, end: int) -> bool:
    """Is the cursor token drawn by this segment (itself, or a split token sharing its char)?"""
    if cursor == index:
        return True
    if not 0 <= cursor < len(spans) or cursor < index:
        return False
    return int(spans.char_start[cursor]) < end and int(spans.char_end[cursor]) > start
