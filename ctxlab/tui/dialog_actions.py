"""Actions that open a dialog or write a file: open, save, export, compare picker, help.

A mixin of `CtxlabApp`, kept apart so the app module stays about keeping
screens in step with the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work

from ctxlab.core.spans import TokenSpans
from ctxlab.tui.delivery import deliver, notify_delivered, notify_failed, safe_filename

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

    def action_save(self) -> None:
        from ctxlab.tui.screens.save_screen import SaveScreen

        doc = self.session.document
        if self.is_web:  # served: the text goes to the student's browser, not the server's disk
            name = safe_filename(doc.name)
            deliver(self, doc.text, name if Path(name).suffix else f"{name}.txt", self.export_dir)
            return
        suggested = str(doc.path or Path.cwd() / f"{doc.name}.txt")
        self.push_screen(SaveScreen(suggested), self.save_text)

    def save_text(self, destination: str | None) -> None:
        if destination is None:
            return
        try:
            Path(destination).expanduser().write_text(self.session.document.text,
                                                      encoding="utf-8", newline="")
        except OSError as exc:
            self.notify(f"{destination}: {exc.strerror}", title="save", severity="error")
            return
        self.notify(f"saved {len(self.session.document.text):,} chars to {destination}")

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
        from ctxlab.tui.tabs import tab_widget_bindings

        bindings = [*self.BINDINGS, *tab_widget_bindings()]
        self.push_screen(HelpScreen(bindings, self.settings.keymap))
