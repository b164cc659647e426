"""The simple key actions of the main app: tabs, edit mode, tokenizer and look toggles.

A mixin, like ``DialogActions`` and ``ModelActions``, so ``app.py`` keeps to building
the screen, running the analysis and the driving API.
"""

from __future__ import annotations

from textual.widgets import TextArea

from ctxlab.core.tokenizers import specs
from ctxlab.tui.editor_text import EditorText
from ctxlab.tui.widgets.token_view import TokenView


class KeyActions:
    """Mixed into ``CtxlabApp``; uses its session, look, and driving API."""

    def action_show_tab(self, tab: str) -> None:
        self.show_tab(tab)

    def action_toggle_edit(self) -> None:
        self.editing = not self.editing
        editor = self.query_one("#editor", TextArea)
        if self.editing:
            self.show_tab("tokens")
            self._load_editor()
            editor.focus()
        else:
            self.query_one("#token-view", TokenView).focus()
        self._show_mode()

    def action_view_tokens(self) -> None:
        if self.editing:
            self.action_toggle_edit()

    def _load_editor(self) -> None:
        if self._editor_version != self.session.document.version:
            editor = self.query_one("#editor", TextArea)
            text = self.session.document.text
            editor.load_text(text)
            self.editor_text = EditorText(text, editor.document.lines, editor.document.newline)
            self._editor_version = self.session.document.version

    def action_next_tokenizer(self) -> None:
        names = list(dict.fromkeys([*self.session.compare, *specs()]))
        current = names.index(self.session.tokenizer) if self.session.tokenizer in names else -1
        self.set_tokenizer(names[(current + 1) % len(names)])

    def action_toggle_whitespace(self) -> None:
        self.look["show_whitespace"] = not self.look["show_whitespace"]
        self._restyle_views()

    def action_toggle_colours(self) -> None:
        self.look["colour_mode"] = "id" if self.look["colour_mode"] == "alternate" else "alternate"
        self._restyle_views()

    def action_toggle_special(self) -> None:
        self.session.allow_special = not self.session.allow_special
        self.session.forget_tokens()
        self._analyse()
