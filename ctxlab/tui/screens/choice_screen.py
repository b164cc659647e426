"""Ask before something the user cannot undo: dropping unsaved text, overwriting a file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ctxlab.tui.glyphs import printable


class ChoiceScreen(ModalScreen[str | None]):
    """A question and a button per choice; dismisses with the choice's id (None: Esc)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="ctxlab.dialog.cancel")]
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical { width: 72; height: auto; border: thick $warning; padding: 1 2;
                              background: $panel; }
    ChoiceScreen Horizontal { height: auto; margin-top: 1; }
    ChoiceScreen Button { margin-right: 2; }
    """

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        """``choices``: (id, label) pairs, the first one focused."""
        super().__init__()
        self.question, self.choices = question, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(printable(self.question, lines=True)), id="choice-question")
            with Horizontal():
                for choice, label in self.choices:
                    yield Button(label, id=f"choice-{choice}", compact=True,
                                 variant="error" if choice in ("discard", "overwrite", "lossy")
                                 else "default")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-") or None)


UNSAVED_CHOICES = [("save", "Save…"), ("discard", "Discard changes"), ("cancel", "Cancel")]
OVERWRITE_CHOICES = [("cancel", "Cancel"), ("overwrite", "Overwrite")]
LOSSY_CHOICES = [("cancel", "Cancel"), ("lossy", "Write U+FFFD over the bytes")]
