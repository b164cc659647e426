"""The document editor: Textual's TextArea, with the keys a user needs while typing on show."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TextArea


class DocumentEditor(TextArea):
    """Focused only in edit mode, so the footer lists saving and leaving exactly then."""

    BINDINGS = [
        Binding("ctrl+s", "app.save", "Save", id="ctxlab.editor.save"),
        Binding("escape", "screen.view_tokens", "View tokens", id="ctxlab.editor.view"),
    ]
