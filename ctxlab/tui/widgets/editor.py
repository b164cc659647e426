"""The document editor: Textual's TextArea, with the keys a user needs while typing on show.

TextArea draws each row after reading ``self.text`` (every line joined) and the
wrapped document's ``height`` (a sum over every line): two passes over the whole
document per row drawn, about 4 ms each on a 1 MB text, so one keystroke cost
200-300 ms to paint. Here both are computed once per edit instead: the editor's
documents remember them until the next change, which always passes through
``replace_range`` (the document) or ``wrap``/``wrap_range`` (its wrapping).

Wrapping the whole text (opening edit mode, every resize) took 0.45 s for 1 MB,
mostly measuring cells character by character. A line of printable ASCII has one
cell per character, so its rows are found from the words' lengths alone, with
the same rules; other lines keep Textual's own code.
"""

from __future__ import annotations

import re

from textual._wrap import compute_wrap_offsets
from textual.binding import Binding
from textual.document._document import Document, EditResult, Location
from textual.document._wrapped_document import WrappedDocument
from textual.expand_tabs import get_tab_widths
from textual.widgets import TextArea

_PRINTABLE_ASCII = re.compile(r"[ -~]*")  # one cell each, no tabs
_CHUNK = re.compile(r"\S+\s*|\s+")  # what TextArea wraps by: a word and the spaces after it


def ascii_wrap_offsets(line: str, width: int) -> list[int]:
    """Where TextArea breaks a printable-ASCII ``line`` into rows of ``width`` cells.

    Greedy: a word that fits stays on the row, one that does not starts the next, and
    one longer than a row is folded every ``width`` characters.
    """
    breaks: list[int] = []
    used = 0
    for match in _CHUNK.finditer(line):
        start, end = match.span()
        size = end - start
        if used + size <= width:
            used += size
        elif size > width:
            breaks += [piece for piece in range(start, end, width) if piece]
            used = (size - 1) % width + 1
        else:  # it fits a row of its own (so it is not the first word: that always fits)
            breaks.append(start)
            used = size
    return breaks


class _TextOnce(Document):
    """A Document that joins its lines once per change, not once per read."""

    _joined: str | None = None

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = self._newline.join(self._lines)
        return self._joined

    def replace_range(self, start: Location, end: Location, text: str) -> EditResult:
        self._joined = None
        return super().replace_range(start, end, text)


class _HeightOnce(WrappedDocument):
    """A WrappedDocument that sums its rows once per (re)wrap, not once per drawn row, and
    wraps ASCII lines without measuring each character."""

    _height: int | None = None

    @property
    def height(self) -> int:
        if self._height is None:
            self._height = sum(len(offsets) + 1 for offsets in self._wrap_offsets)
        return self._height

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        """The rows of every line, as `WrappedDocument.wrap` lays them out."""
        self._height = None
        self._width = width
        if tab_width:
            self._tab_width = tab_width
        tabs = self._tab_width
        breaks: list[list[int]] = []
        row_of_line: list[list[int]] = []
        line_of_row: list[tuple[int, int]] = []
        tab_widths: list[list[int]] = []
        for index, line in enumerate(self.document.lines):
            if _PRINTABLE_ASCII.fullmatch(line):
                line_breaks = ascii_wrap_offsets(line, width) if width else []
                tab_widths.append([0] if line else [])
            else:
                sections = get_tab_widths(line, tabs)
                line_breaks = compute_wrap_offsets(
                    line, width, tab_size=tabs, precomputed_tab_sections=sections) if width else []
                tab_widths.append([cells for _, cells in sections])
            breaks.append(line_breaks)
            first = len(line_of_row)
            row_of_line.append(list(range(first, first + len(line_breaks) + 1)))
            line_of_row += [(index, section) for section in range(len(line_breaks) + 1)]
        self._wrap_offsets, self._line_index_to_offsets = breaks, row_of_line
        self._offset_to_line_info, self._tab_width_cache = line_of_row, tab_widths

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        self._height = None
        super().wrap_range(start, old_end, new_end)


class DocumentEditor(TextArea):
    """Focused only in edit mode, so the footer lists saving and leaving exactly then."""

    BINDINGS = [
        Binding("ctrl+s", "app.save", "Save", id="ctxlab.editor.save"),
        Binding("escape", "screen.view_tokens", "View tokens", id="ctxlab.editor.view"),
    ]

    def _set_document(self, text: str, language: str | None) -> None:
        """Textual's documents, given the memory above (same state, two methods more)."""
        super()._set_document(text, language)
        if type(self.document) is Document:  # plain text: a syntax-aware one keeps its class
            self.document.__class__ = _TextOnce
        if type(self.wrapped_document) is WrappedDocument:
            self.wrapped_document.__class__ = _HeightOnce
