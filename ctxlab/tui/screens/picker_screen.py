"""Choose which tokenizers to compare, from the registry."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from ctxlab.core.tokenizers import specs


class TokenizerPicker(ModalScreen[list[str] | None]):
    """Space toggles, Enter applies, Esc cancels; unavailable tokenizers are listed but marked."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="ctxlab.dialog.cancel"),
        Binding("enter", "apply", "Apply", id="ctxlab.dialog.apply", priority=True),
    ]
    DEFAULT_CSS = """
    TokenizerPicker { align: center middle; }
    TokenizerPicker > Vertical { width: 80; height: auto; max-height: 30; border: thick $accent;
                                 padding: 0 1; background: $panel; }
    """

    def __init__(self, selected: list[str]) -> None:
        super().__init__()
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Tokenizers to compare (space toggles, Enter applies, Esc cancels)")
            yield SelectionList[str](*(
                (Content(f"{name:<14} {spec.description}"
                         + ("" if spec.availability().available else "  [not downloaded]")),
                 name, name in self.selected)
                for name, spec in specs().items()
            ), id="picker")

    def action_apply(self) -> None:
        chosen = self.query_one(SelectionList).selected
        # keep the user's earlier order, new picks after it
        order = [n for n in self.selected if n in chosen]
        order += [n for n in chosen if n not in self.selected]
        self.dismiss(order or None)
