"""The document editor: Textual's TextArea, with the keys a user needs while typing on show.

TextArea draws each row after reading ``self.text`` (every line joined) and the
wrapped document's ``height`` (a sum over every line): two passes over the whole
document per row drawn, about 4 ms each on a 1 MB text, so one keystroke cost
200-300 ms to paint. Here both are computed once per edit instead: the editor's
documents remember them until the next change, which always passes through
``replace_range`` (the document) or ``wrap``/``wrap_range`` (its wrapping).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TextArea
from textual.widgets.text_area import Document, EditResult, Location, WrappedDocument


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
    """A WrappedDocument that sums its rows once per (re)wrap, not once per drawn row."""

    _height: int | None = None

    @property
    def height(self) -> int:
        if self._height is None:
            self._height = sum(len(offsets) + 1 for offsets in self._wrap_offsets)
        return self._height

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        self._height = None
        super().wrap(width, tab_width)

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
