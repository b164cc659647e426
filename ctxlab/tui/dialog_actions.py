"""Actions that open a dialog or write a file: open, save, export, compare picker, help.

A mixin of `CtxlabApp`, kept apart so the app module stays about keeping
screens in step with the session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.binding import Binding

from ctxlab.core.spans import TokenSpans
from ctxlab.tui.delivery import deliver, notify_delivered, notify_failed, safe_filename
from ctxlab.tui.screens.choice_screen import OVERWRITE_CHOICES, UNSAVED_CHOICES, ChoiceScreen

if TYPE_CHECKING:
    from ctxlab.tui.session import Session


class DialogActions:
    """Needs ``session``, ``settings``, ``look``, ``export_dir`` and the App API."""

    session: Session
    export_dir: Path

    def action_pick_compare(self) -> None:
        from ctxlab.tui.screens.picker_screen import TokenizerPicker

        async def chosen(names: list[str] | None) -> None:
            if names:
                await self.set_compare(names)

        self.push_screen(TokenizerPicker(self.session.compare), chosen)

    def action_open(self) -> None:
        from ctxlab.tui.screens.open_screen import OpenScreen

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                kind, value = choice
                self.open_sample(value) if kind == "sample" else self.open_path(value)

        self.push_screen(OpenScreen(browse=not self.is_web), chosen)

    def unless_unsaved(self, doing: str, proceed: Callable[[], object]) -> None:
        """Run ``proceed`` now, or once the user chose to save or discard unsaved edits."""
        doc = self.session.document
        if not doc.unsaved:
            proceed()
            return

        def chosen(choice: str | None) -> None:
            if choice == "discard":
                proceed()
            elif choice == "save":
                self.action_save(then=proceed)

        self.push_screen(ChoiceScreen(f"{doc.name} has unsaved changes. Save them before you "
                                      f"{doing}?", UNSAVED_CHOICES), chosen)

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        """Ask where to save (``then`` runs once the text is safely written)."""
        from ctxlab.tui.screens.save_screen import SaveScreen

        doc = self.session.document
        if self.is_web:  # served: the text goes to the student's browser, not the server's disk
            name = safe_filename(doc.name)
            deliver(self, doc.text, name if Path(name).suffix else f"{name}.txt", self.export_dir)
            return
        self.push_screen(SaveScreen(str(suggested_path(doc.path, doc.name))),
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
            if choice == "overwrite":
                self._write(path, then)

        self.push_screen(ChoiceScreen(f"{path} already exists. Overwrite it?",
                                      OVERWRITE_CHOICES), chosen)

    def _write(self, path: Path, then: Callable[[], object] | None) -> None:
        doc = self.session.document
        try:
            path.write_text(doc.text, encoding="utf-8", newline="")
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror}", title="save", severity="error")
            return
        if self.session.document is doc:
            doc.unsaved, doc.path = False, path
        self.notify(f"saved {len(doc.text):,} chars to {path}", title="save")
        if then is not None:
            then()

    def action_export(self, kind: str) -> None:
        name = safe_filename("ctxlab", Path(self.session.document.name).stem,
                             self.session.tokenizer, suffix=f".{kind}")
        if kind == "svg":
            deliver(self, self.export_screenshot(), name, self.export_dir)
            return
        spans = self.session.spans.get(self.session.tokenizer)
        if spans is None:
            self.notify("no tokens yet", title="export", severity="warning")
            return
        self._export_html(spans, self.session.tokenizer, self.look["colour_mode"],
                          self.session.document.name, name)

    @work(thread=True, group="export", exit_on_error=False)
    def _export_html(self, spans: TokenSpans, tokenizer: str, colour_mode: str, title: str,
                     name: str) -> None:
        from ctxlab.tui.export import token_html

        page = token_html(spans, tokenizer, colour_mode, title)
        self.call_from_thread(deliver, self, page, name, self.export_dir)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        notify_delivered(self, event)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        notify_failed(self, event)

    def action_help(self) -> None:
        from ctxlab.tui.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen(self.key_bindings(), self.settings.keymap))

    def key_bindings(self) -> list[Binding]:
        """Every binding a user can remap: the app's and its tabs' widgets'."""
        from ctxlab.tui.tabs import tab_widget_bindings

        return [*self.BINDINGS, *tab_widget_bindings()]


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
