"""The ctxlab TUI: one document, tokenized several ways, in a screen of tabs.

The app holds what every screen shares (the settings, the session with its
document, the look of tokens, the loaded context windows), the app-wide keys
(open, save, export, help, quit) and the driving API that the palette, the
lessons, the benchmarks and the tests use. What the tabs show, and the keys
that change it, belong to ``MainScreen``; each tab's own keys to its widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerState

from ctxlab.config import Settings
from ctxlab.core.documents import Decoding, Document, DocumentError, read_path, read_sample
from ctxlab.core.local_models import ModelChoice, model_choice
from ctxlab.core.model.weights import ModelError
from ctxlab.tui.commands import CtxlabCommands, model_commands
from ctxlab.tui.delivery import may_open, notify_delivered, notify_failed
from ctxlab.tui.document_files import DocumentFiles
from ctxlab.tui.glyphs import printable
from ctxlab.tui.keymap import keymap_problems
from ctxlab.tui.main_screen import MainScreen
from ctxlab.tui.messages import ModelChosen, ModelProgress
from ctxlab.tui.session import Session
from ctxlab.tui.token_rows import Look
from ctxlab.tui.widgets.compare import ComparePanel
from ctxlab.tui.widgets.narration import Narration
from ctxlab.tui.widgets.recall_panel import RecallPanel
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.truncate_panel import TruncatePanel


class CtxlabApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # subclasses elsewhere find it too
    TITLE = "ctxlab"
    COMMANDS = App.COMMANDS | {CtxlabCommands}
    BINDINGS = [
        Binding("o", "open", "Open", id="ctxlab.open"),
        Binding("ctrl+s", "save", "Save", show=False, id="ctxlab.save"),
        Binding("ctrl+e", "export('svg')", "Export SVG", show=False, id="ctxlab.export.svg"),
        Binding("f1,question_mark", "help", "Help", id="ctxlab.help"),
        Binding("M", "pick_model", "Model…", show=False, id="ctxlab.model.pick"),
        Binding("q", "quit", "Quit", show=False, id="ctxlab.quit"),
    ]

    def __init__(self, settings: Settings | None = None, text: str = "", name: str = "untitled",
                 path: Path | None = None, decoding: Decoding | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.session = Session(tokenizer=self.settings.tokenizers[0],
                               compare=list(self.settings.tokenizers),
                               model=model_choice(self.settings.model))
        self.session.replace_text(text, name, path, decoding)
        self.look = Look(self.settings.colours, self.settings.whitespace)
        self.windows: list = []  # the context windows the Windows tab shows, once loaded
        self.export_dir = Path.cwd()
        self.files = DocumentFiles(self)
        self.notices: list[Notification] = []  # every notification shown, oldest first
        self._deliveries: set[str] = set()  # files the driver is still writing (exports)

    def get_default_screen(self) -> Screen:
        return MainScreen()

    async def on_event(self, event: events.Event) -> None:
        """Drop input that arrives while the app shuts down: with no screen left, Textual
        raises ScreenStackError for a key still in flight (a traceback on quitting)."""
        if isinstance(event, (events.InputEvent, events.Paste)) and not self.screen_stack:
            return
        await super().on_event(event)

    @property
    def main(self) -> MainScreen:
        """The screen of tabs (under any dialog that is open)."""
        screen = self.screen_stack[0] if self.screen_stack else None
        if not isinstance(screen, MainScreen):
            raise RuntimeError("the app is not running")
        return screen

    @property
    def editing(self) -> bool:
        return self.main.editing

    @property
    def model_note(self) -> str:
        return self.main.model_note

    async def on_mount(self) -> None:
        self._warn_if_lossy()
        if self.settings.keymap:
            for problem in keymap_problems(self.settings.keymap, self.key_bindings()):
                self.notify(problem, title="keymap", severity="warning", timeout=10)
            self.set_keymap(dict(self.settings.keymap))

    def key_bindings(self) -> list[Binding]:
        """Every binding a user can remap: the app's, the screen's and its tabs' widgets'."""
        from ctxlab.tui.tabs import tab_widget_bindings

        own = [b for b in (*MainScreen.BINDINGS, *self.BINDINGS) if isinstance(b, Binding)]
        return [*own, *tab_widget_bindings()]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications name files, tokens and model output: never parsed as markup."""
        super().notify(printable(message, lines=True), title=printable(title), severity=severity,
                       timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """Ctrl+C's hint, in plain words (Textual's own is markup, and ours shows none)."""
        keys = sorted((key for key, active in self.active_bindings.items()
                       if active.binding.action in ("quit", "app.quit")), key=len)
        self.notify(f"Press {' or '.join(keys)} to quit the app", title="Do you want to quit?")

    def on_notify(self, event: Notify) -> None:
        self.notices.append(event.notification)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{type(error).__name__}: {error}", title="something failed",
                        severity="error")

    # --- app-wide keys ---------------------------------------------------------------------

    def action_open(self) -> None:
        self.files.open()

    def action_save(self) -> None:
        self.files.save()

    def save_text(self, destination: str | None) -> None:
        self.files.save_text(destination)

    def action_export(self, kind: str) -> None:
        self.files.export(kind)

    def deliver_text(self, *args, **kwargs) -> str | None:  # type: ignore[no-untyped-def]
        """As App's; the driver writes in a thread of its own, so `settled` waits for it."""
        key = super().deliver_text(*args, **kwargs)
        if key is not None:
            self._deliveries.add(key)
        return key

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        self._deliveries.discard(event.key)
        notify_delivered(self, event)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        self._deliveries.discard(event.key)
        notify_failed(self, event)

    def action_help(self) -> None:
        from ctxlab.tui.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen(self.key_bindings(), self.settings.keymap))

    def action_pick_model(self) -> None:
        from textual.command import SimpleCommand

        self.search_commands([SimpleCommand(title, callback, help_text)
                              for title, help_text, callback in model_commands(self)],
                             placeholder="The local model for recall and surprisal…")

    async def action_quit(self) -> None:
        self.files.unless_unsaved("quit", self.exit)

    # --- driving the app (the palette, lessons, benchmarks and tests) ------------------------

    def initial_tab(self) -> str:
        """The tab shown once the tabs have mounted (lesson mode shows its first step's)."""
        return "tokens"

    def set_document(self, text: str, name: str | None = None, path: Path | None = None,
                     decoding: Decoding | None = None) -> None:
        """Replace the document's text (``name``, ``path`` and ``decoding`` say where from)."""
        self.session.replace_text(text, name, path, decoding)
        self.main.document_replaced()
        self._warn_if_lossy()

    def _warn_if_lossy(self) -> None:
        doc = self.session.document
        if doc.decoding.lossy:
            where = doc.decoding.detail.split(";")[0]  # "invalid UTF-8 at byte N"
            self.notify(f"{doc.name}: {where}. Invalid bytes show as U+FFFD; saving over the file "
                        "asks first.", title="open", severity="warning", timeout=10)

    def open_document(self, document: Document) -> None:
        self.set_document(document.text, document.name, document.path, document.decoding)

    def open_path(self, path: Path | str) -> None:
        path = Path(path).expanduser()
        if not may_open(self, path):
            self.notify("a served session opens the bundled samples only (o)", title="open",
                        severity="warning")
            return
        self._open(lambda: read_path(path), "open")

    def open_sample(self, name: str) -> None:
        self._open(lambda: read_sample(name), "sample")

    def _open(self, read: Callable[[], Document], title: str) -> None:
        """Read a document (a bad one is a notification) and show it, unless unsaved edits
        are in the way and the user cancels."""
        try:
            document = read()
        except DocumentError as exc:
            self.notify(str(exc), title=title, severity="error")
            return
        self.files.unless_unsaved(f"open {document.name}", lambda: self.open_document(document))

    def set_tokenizer(self, name: str) -> None:
        """Show the document split by tokenizer ``name`` (loaded in the worker)."""
        if name == self.session.tokenizer:
            return
        self.session.tokenizer = name
        self.session.errors.pop(name, None)
        if name in self.session.spans:
            self.main.show_primary()
        self.main.analyse()

    async def set_compare(self, names: list[str]) -> None:
        self.session.compare = list(dict.fromkeys(names))
        await self.main.query_one(ComparePanel).set_tokenizers(self.session.compare)
        self.main.restyle_views()
        self.main.show_compare()
        self.main.analyse()

    def show_tab(self, tab: str) -> None:
        self.main.show_tab(tab)

    def set_truncation(self, budget: int | None = None, strategy: str | None = None,
                       position: int | None = None) -> None:
        try:
            self.main.query_one(TruncatePanel).configure(budget=budget, strategy=strategy,
                                                         position=position)
        except ValueError as exc:
            self.notify(str(exc), title="truncate", severity="error")

    def fit_window(self, name: str) -> None:
        """Truncate to what window ``name`` leaves for the prompt, with its tokenizer."""
        window = next(w for w in self.windows if w.name == name)
        self.set_tokenizer(window.tokenizer)
        self.set_truncation(budget=window.context - window.default_reserve)
        self.show_tab("truncate")

    def move_cursor(self, index: int) -> None:
        self.main.query_one("#token-view", TokenView).move_cursor(index)

    def narrate(self, markdown: str | None) -> None:
        """Show ``markdown`` in the narration panel (None hides it)."""
        self.main.query_one(Narration).say(markdown)

    def set_model(self, name: str) -> None:
        """Make model ``name`` the session's (recall and the surprisal overlay run it). It is
        loaded in a worker, fetched first if need be; a failed load keeps the one before."""
        try:
            choice = model_choice(name)
        except ModelError as exc:
            self.notify(str(exc), title="model", severity="error")
            return
        if choice == self.session.model:
            return
        previous, self.session.model = self.session.model, choice
        self._model_shown(choice)
        self._load_model(choice, previous)

    def on_model_chosen(self, message: ModelChosen) -> None:
        self.set_model(message.name)

    def _model_shown(self, choice: ModelChoice) -> None:
        self.main.query_one(RecallPanel).show_model(choice)
        self.main.refresh_status()

    @work(thread=True, group="model", exit_on_error=False)
    def _load_model(self, choice: ModelChoice, previous: ModelChoice) -> None:
        from ctxlab.tui.model_loading import ModelUnavailable, load_local_model

        def report(label: str) -> None:
            self.main.post_message(ModelProgress(label))

        def announce(note: str, seconds: float | None) -> None:
            self.call_from_thread(self.notify, note, title="model", timeout=seconds)

        try:
            load_local_model(choice, report, announce)
        except ModelUnavailable as exc:
            self.call_from_thread(self._model_failed, choice, previous, str(exc))
        else:
            self.call_from_thread(self._model_loaded, choice)
        finally:
            report("")

    def _model_loaded(self, choice: ModelChoice) -> None:
        if choice == self.session.model:  # not replaced by a newer pick meanwhile
            self.notify(f"{choice.label} is loaded: recall (5) and the surprisal overlay (s) "
                        "run it now", title="model")
            self.main.query_one(RecallPanel).shape_known(choice)
            self.main.model_changed()

    def _model_failed(self, choice: ModelChoice, previous: ModelChoice, error: str) -> None:
        if choice == self.session.model:
            self.notify(f"{error}\nStill using {previous.label}.", title=f"model {choice.name}",
                        severity="error")
            self.session.model = previous
            self._model_shown(previous)

    def run_recall(self) -> None:
        """Run the Recall tab's grid as its form stands (or cancel the run going on)."""
        self.show_tab("recall")
        self.main.query_one(RecallPanel).action_run()

    async def settled(self) -> None:
        """Wait until no worker runs and every result they posted is on screen.

        A worker replaced by a newer exclusive one ends cancelled: that is normal here.
        """
        while True:
            await self._refreshed()
            try:
                await self.workers.wait_for_complete()
            except WorkerCancelled:
                continue
            await self._messages_handled()
            await asyncio.sleep(0)
            if self._deliveries:  # an export is being written by the driver's thread
                await asyncio.sleep(0.01)
                continue
            if not any(worker.is_running for worker in self.workers):
                await self._messages_handled()  # what the last handlers posted
                if not any(worker.is_running for worker in self.workers):
                    return

    async def _refreshed(self) -> None:
        """Every callback queued for after a refresh has run: the first analysis starts so
        (``call_after_refresh``), and on a loaded machine no worker may run yet without it."""
        done = asyncio.Event()
        if self.main.call_after_refresh(done.set):
            await done.wait()

    async def _messages_handled(self) -> None:
        """Every message queued by now, in the app and each widget of the screen, is handled:
        a callback queued behind them runs in each (``call_later`` is per message pump)."""
        nodes = list(dict.fromkeys([self, *self.main.walk_children(with_self=True),
                                    *self.screen.walk_children(with_self=True)]))
        pending = [asyncio.Event() for _ in nodes]
        queued = [event for node, event in zip(nodes, pending, strict=True)
                  if node.call_later(event.set)]
        await asyncio.gather(*(event.wait() for event in queued))
