"""Opening, saving and exporting the document, and the guard that never loses unsaved text.

Every path that would drop unsaved edits (quit, open, a dragged-in file) asks
first: save, discard or cancel. A save proposes the file the text came from,
except a bundled sample inside the installed package, and asks before it
overwrites anything. Served in a browser, saves and exports are downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ctxlab.core.documents import Decoding
from ctxlab.core.spans import TokenSpans
from ctxlab.tui.delivery import deliver, safe_filename
from ctxlab.tui.screens.choice_screen import (
    LOSSY_CHOICES,
    OVERWRITE_CHOICES,
    UNSAVED_CHOICES,
    ChoiceScreen,
)

if TYPE_CHECKING:
    from ctxlab.tui.app import CtxlabApp


class DocumentFiles:
    """The app's file dialogs; a part of the app (it pushes screens and notifies through it)."""

    def __init__(self, app: CtxlabApp) -> None:
        self.app = app

    def open(self) -> None:
        from ctxlab.tui.screens.open_screen import OpenScreen

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                kind, value = choice
                self.app.open_sample(value) if kind == "sample" else self.app.open_path(value)

        self.app.push_screen(OpenScreen(browse=not self.app.is_web), chosen)

    def unless_unsaved(self, doing: str, proceed: Callable[[], object]) -> None:
        """Run ``proceed`` now, or once the user chose to save or discard unsaved edits."""
        doc = self.app.session.document
        if not doc.unsaved:
            proceed()
            return

        def chosen(choice: str | None) -> None:
            if choice == "discard":
                proceed()
            elif choice == "save":
                self.save(then=proceed)

        self.app.push_screen(ChoiceScreen(f"{doc.name} has unsaved changes. Save them before "
                                          f"you {doing}?", UNSAVED_CHOICES), chosen)

    def save(self, then: Callable[[], object] | None = None) -> None:
        """Ask where to save (``then`` runs once the text is safely written)."""
        from ctxlab.tui.screens.save_screen import SaveScreen

        doc = self.app.session.document
        if self.app.is_web:  # served: the text goes to the student's browser, not the server
            name = safe_filename(doc.name)
            deliver(self.app, doc.text, name if Path(name).suffix else f"{name}.txt",
                    self.app.export_dir)
            return
        self.app.push_screen(SaveScreen(str(suggested_path(doc.path, doc.name))),
                             lambda destination: self.save_text(destination, then))

    def save_text(self, destination: str | None, then: Callable[[], object] | None = None) -> None:
        """Write the text to ``destination``; an existing file only once the user confirms."""
        if destination is None:
            return
        path = Path(destination).expanduser()
        if not path.exists():
            self._write(path, then)
            return

        def chosen(choice: str | None) -> None:
            if choice in ("overwrite", "lossy"):
                self._write(path, then)

        doc = self.app.session.document
        if doc.decoding.lossy and doc.path is not None and _same_file(path, doc.path):
            self.app.push_screen(ChoiceScreen(
                f"{path} is not valid UTF-8 ({doc.decoding.detail.split(';')[0]}): the text shows "
                "its invalid bytes as U+FFFD. Saving over it replaces those bytes for good.",
                LOSSY_CHOICES), chosen)
            return
        self.app.push_screen(ChoiceScreen(f"{path} already exists. Overwrite it?",
                                          OVERWRITE_CHOICES), chosen)

    def _write(self, path: Path, then: Callable[[], object] | None) -> None:
        doc = self.app.session.document
        try:
            path.write_text(doc.text, encoding="utf-8", newline="")
        except OSError as exc:
            self.app.notify(f"{path}: {exc.strerror}", title="save", severity="error")
            return
        if self.app.session.document is doc:  # the file now holds exactly this text
            doc.unsaved, doc.path, doc.decoding = False, path, Decoding()
        self.app.notify(f"saved {len(doc.text):,} chars to {path}", title="save")
        if then is not None:
            then()

    def export(self, kind: str) -> None:
        session = self.app.session
        name = safe_filename("ctxlab", Path(session.document.name).stem, session.tokenizer,
                             suffix=f".{kind}")
        if kind == "svg":
            deliver(self.app, self.app.export_screenshot(), name, self.app.export_dir)
            return
        spans = session.spans.get(session.tokenizer)
        if spans is None:
            self.app.notify("no tokens yet", title="export", severity="warning")
            return
        colour_mode, title = self.app.look.colour_mode, session.document.name
        self.app.run_worker(lambda: self._export_html(spans, session.tokenizer, colour_mode,
                                                      title, name),
                            thread=True, group="export", exit_on_error=False)

    def _export_html(self, spans: TokenSpans, tokenizer: str, colour_mode: str, title: str,
                     name: str) -> None:
        """In a worker: a book's worth of spans takes a while to write out."""
        from ctxlab.tui.export import token_html

        page = token_html(spans, tokenizer, colour_mode, title)
        self.app.call_from_thread(deliver, self.app, page, name, self.app.export_dir)


def suggested_path(source: Path | None, name: str) -> Path:
    """Where Save proposes to write: over the source, unless it lies inside the installed
    package (a bundled sample), which a save must never change; then the current directory."""
    import ctxlab

    package = Path(ctxlab.__file__).resolve().parent
    inside = source is not None and {package, package.parent / "samples"} & set(
        source.resolve().parents)
    if source is not None and not inside:
        return source
    filename = safe_filename(Path(name).stem, suffix=Path(name).suffix or ".txt")
    return Path.cwd() / filename


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return False
