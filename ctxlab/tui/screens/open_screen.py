"""Open a document: a bundled sample, a typed path, or a file picked from the tree."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, OptionList
from textual.widgets.option_list import Option

from ctxlab.core.samples import list_samples


class OpenScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with ``("sample", name)``, ``("path", path)`` or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="ctxlab.dialog.cancel")]
    DEFAULT_CSS = """
    OpenScreen { align: center middle; }
    OpenScreen > Vertical { width: 100; height: 30; border: thick $accent; padding: 0 1;
                            background: $panel; }
    OpenScreen Horizontal { height: 1fr; }
    OpenScreen #samples { width: 40; }
    OpenScreen #tree { width: 1fr; }
    """

    def __init__(self, start: Path | None = None, browse: bool = True) -> None:
        """``browse=False`` (a served session): samples only, no view of the server's disk."""
        super().__init__()
        self.start = start or Path.cwd()
        self.browse = browse

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.browse:
                yield Label("Open a sample (left), a file (right), or type a path and press "
                            "Enter.")
                yield Input(placeholder="path/to/file.txt", id="open-path")
            else:
                yield Label("Open a sample (this session is served: the server's files stay "
                            "closed).")
            with Horizontal():
                yield OptionList(*(Option(Content.assemble(s.title, "\n", (s.name, "dim")),
                                          id=s.name) for s in list_samples()), id="samples")
                if self.browse:
                    yield DirectoryTree(self.start, id="tree")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("sample", str(event.option.id)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(("path", event.value.strip()))

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(("path", str(event.path)))
