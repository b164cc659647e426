"""The ctxlab app: paste or open a document, see its tokens, compare, fit, truncate, probe.

The app owns a `Session` (the document and its derived data) and keeps the
screens in step with it. All heavy work happens in thread workers that post
messages back; handlers here are the only code that touches widgets. Methods
in the "driving the app" section are the API lessons and tests use.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import on, work
from textual._wait import wait_for_idle
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerCancelled, WorkerState, get_current_worker

from ctxlab.config import Settings
from ctxlab.core.documents import (
    Decoding,
    Document,
    DocumentError,
    dropped_path,
    read_path,
    read_sample,
)
from ctxlab.tui.analysis import AnalysisRequest, run_analysis
from ctxlab.tui.commands import CtxlabCommands
from ctxlab.tui.delivery import may_open
from ctxlab.tui.dialog_actions import DialogActions
from ctxlab.tui.editor_text import EditorText
from ctxlab.tui.glyphs import printable
from ctxlab.tui.key_actions import KeyActions
from ctxlab.tui.keymap import keymap_problems
from ctxlab.tui.messages import (
    AnalysisProgress,
    CountsReady,
    DocumentMeasured,
    TokenizerFailed,
    TokensReady,
)
from ctxlab.tui.model_actions import ModelActions
from ctxlab.tui.session import Session
from ctxlab.tui.tabs import TAB_BY_ID, TABS, tab_bindings
from ctxlab.tui.token_styles import heat_levels
from ctxlab.tui.widgets.compare import ComparePanel
from ctxlab.tui.widgets.narration import Narration
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.truncate_panel import TruncatePanel
from ctxlab.tui.widgets.windows_panel import WindowsPanel

EDIT_BAR = Content.from_markup(
    "[b reverse] EDIT [/] typing changes the document; the tokens below follow · "
    "[b]Esc[/b] back to the token view")
VIEW_BAR = Content.from_markup(
    "[b reverse] VIEW [/] arrows move the token cursor · [b]e[/b] edit · "
    "[b]t[/b] next tokenizer · paste inserts at the cursor · [b]?[/b] help")

FOLLOW_KEYS_CHARS = 100_000  # up to here every key re-tokenizes at once (well under 50 ms)
TYPING_PAUSE = 0.3  # seconds of no typing before a bigger document is re-tokenized


class MainScreen(Screen):
    """The app's screen. It does not auto-focus: focusing a widget activates its tab, and
    the app chooses the tab (and focus) itself once the tabs have mounted."""

    AUTO_FOCUS = ""


class CtxlabApp(KeyActions, ModelActions, DialogActions, App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # subclasses elsewhere find it too
    TITLE = "ctxlab"
    COMMANDS = App.COMMANDS | {CtxlabCommands}
    BINDINGS = [
        *tab_bindings(),
        Binding("e", "toggle_edit", "Edit", id="ctxlab.edit"),
        Binding("escape", "view_tokens", "View tokens", show=False, id="ctxlab.view"),
        Binding("t", "next_tokenizer", "Tokenizer", id="ctxlab.tokenizer.next"),
        Binding("ctrl+t", "pick_compare", "Compare…", show=False, id="ctxlab.compare.pick"),
        Binding("w", "toggle_whitespace", "Whitespace", id="ctxlab.whitespace"),
        Binding("c", "toggle_colours", "Colours", id="ctxlab.colours"),
        Binding("x", "toggle_special", "Specials", show=False, id="ctxlab.special"),
        Binding("s", "toggle_surprisal", "Surprisal", id="ctxlab.surprisal"),
        Binding("o", "open", "Open", id="ctxlab.open"),
        Binding("ctrl+s", "save", "Save", show=False, id="ctxlab.save"),
        Binding("ctrl+e", "export('svg')", "Export SVG", show=False, id="ctxlab.export.svg"),
        Binding("f1,question_mark", "help", "Help", id="ctxlab.help"),
        Binding("q", "quit", "Quit", show=False, id="ctxlab.quit"),
    ]

    def __init__(self, settings: Settings | None = None, text: str = "", name: str = "untitled",
                 path: Path | None = None, decoding: Decoding | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.session = Session(tokenizer=self.settings.tokenizers[0],
                               compare=list(self.settings.tokenizers))
        self.session.replace_text(text, name, path, decoding)
        self.look = {"colour_mode": self.settings.colours,
                     "show_whitespace": self.settings.whitespace}
        self.windows: list = []
        self.editing = False
        self.export_dir = Path.cwd()
        self._editor_version = -1  # document version the editor holds
        self.editor_text: EditorText | None = None  # that version, with its own line separators
        self._progress = ""
        self._tab_on_mount: str | None = None  # a tab asked for before the tabs could show it
        self._mounted = False
        self._typing_pause: Timer | None = None  # a re-analysis waiting for the typing to stop
        self.notices: list[Notification] = []  # every notification shown, oldest first

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications name files, tokens and model output: never parsed as markup."""
        super().notify(printable(message, lines=True), title=printable(title), severity=severity,
                       timeout=timeout, markup=False)

    # --- building the screen -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="⟨⟩")
        with TabbedContent(initial=TABS[0].id, id="tabs"):
            for tab in TABS:
                with TabPane(tab.title, id=tab.id):
                    yield from tab.build(self.settings)
        yield Narration(id="narration")
        yield Static(id="status", markup=False)
        yield Footer()

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    async def on_mount(self) -> None:
        if self.settings.keymap:
            for problem in keymap_problems(self.settings.keymap, self.key_bindings()):
                self.notify(problem, title="keymap", severity="warning", timeout=10)
            self.set_keymap(dict(self.settings.keymap))
        await self.query_one(ComparePanel).set_tokenizers(self.session.compare)
        self._restyle_views()
        self._show_mode()
        self.call_after_refresh(self._analyse)
        self.call_after_refresh(self._tabs_ready)
        self._load_windows()

    def _tabs_ready(self) -> None:
        """The tabs have mounted (they pick their first tab then): show one asked for earlier.

        Focus moves only now: focusing a widget also activates its tab, so focusing the
        token view any earlier could undo a tab a subclass showed during mount.
        """
        self._mounted = True
        if self._tab_on_mount not in (None, "tokens"):
            self.show_tab(self._tab_on_mount)
        else:
            self.query_one("#token-view", TokenView).focus()

    # --- analysis ------------------------------------------------------------------------

    def _analyse(self) -> None:
        view = self.query_one("#token-view", TokenView)
        request = self.session.request(view.scrollable_content_region.width,
                                       with_counts=self._active_tab() == "windows")
        self._refresh_status()
        settled = set(dict(request.known)) | set(self.session.errors)
        if request.measured and not request.count_only and settled >= set(request.tokenizers):
            return  # nothing new to compute
        self._run_analysis(request)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _run_analysis(self, request: AnalysisRequest) -> None:
        worker = get_current_worker()
        run_analysis(request, self.post_message, lambda: worker.is_cancelled)

    def _current(self, version: int) -> bool:
        """Is a result for the text on screen, and is the screen still there (not shutting down)?"""
        return self.is_running and version == self.session.document.version

    def on_document_measured(self, message: DocumentMeasured) -> None:
        if not self._current(message.version):
            return
        self.session.metrics, self.session.layout = message.metrics, message.layout
        spans = self.session.spans.get(self.session.tokenizer)
        self.query_one("#token-view", TokenView).show(
            self.session.document.text, message.metrics, spans, message.layout)

    def on_tokens_ready(self, message: TokensReady) -> None:
        if not self._current(message.version) or self.session.metrics is None:
            return
        self.session.spans[message.tokenizer] = message.spans
        if message.tokenizer == self.session.tokenizer:
            self._show_primary()
        if message.tokenizer in self.session.compare:
            self._show_compare()
        self._show_counts()
        self._refresh_status()

    def on_counts_ready(self, message: CountsReady) -> None:
        if self._current(message.version):
            self.session.counts.update(message.counts)
            self._show_counts()

    def on_tokenizer_failed(self, message: TokenizerFailed) -> None:
        if self._current(message.version):
            self.session.errors[message.tokenizer] = message.error
            self.notify(message.error, title=f"tokenizer {message.tokenizer}", severity="error")
            self._show_counts()

    def on_analysis_progress(self, message: AnalysisProgress) -> None:
        if self._current(message.version):
            self._progress = "" if message.done >= message.total else (
                f" · {message.label} ({message.done + 1}/{message.total})")
            self._refresh_status()

    def on_notify(self, event: Notify) -> None:
        self.notices.append(event.notification)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{type(error).__name__}: {error}", title="something failed",
                        severity="error")

    def _show_primary(self) -> None:
        session, text = self.session, self.session.document.text
        spans = session.spans.get(session.tokenizer)
        if spans is None or session.metrics is None:
            return
        view = self.query_one("#token-view", TokenView)
        overlay = session.surprisal
        view.show(text, session.metrics, overlay.spans if overlay else spans, session.layout)
        if overlay is not None:
            view.restyle(heat=heat_levels(overlay.delta))
        self._inspect(view.cursor)
        self._show_mode()  # the mode bar and status say whether the overlay is on
        if self._active_tab() == "truncate":  # hidden tabs catch up when shown
            self.query_one(TruncatePanel).show(text, session.metrics, spans, session.tokenizer)

    def _active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active

    def _show_compare(self) -> None:
        if self.session.metrics is not None and self._active_tab() == "compare":
            self.query_one(ComparePanel).show(self.session.document.text, self.session.metrics,
                                              self.session.spans, self.session.words())

    def _show_counts(self) -> None:
        if self._active_tab() != "windows":
            return
        counts = {name: len(spans) for name, spans in self.session.spans.items()}
        self.query_one(WindowsPanel).show_counts({**self.session.counts, **counts},
                                                  self.session.errors)

    @work(thread=True, exclusive=True, group="windows", exit_on_error=False)
    def _load_windows(self) -> None:
        from ctxlab.core.windows import (
            LOCAL_WINDOWS,
            default_windows,
            teaching_windows,
            window_for_model,
        )

        if not self.settings.windows:
            windows = [*default_windows(), *LOCAL_WINDOWS.values()]
        else:
            windows = []
            for name in self.settings.windows:
                try:
                    windows.append(window_for_model(name))
                except (KeyError, LookupError) as exc:
                    self.call_from_thread(self.notify, str(exc).strip("'\""), title="windows",
                                          severity="warning")
            windows += teaching_windows()
        self.call_from_thread(self._windows_loaded, windows)

    async def _windows_loaded(self, windows: list) -> None:
        self.windows = windows
        self.session.window_tokenizers = tuple(w.tokenizer for w in windows)
        await self.query_one(WindowsPanel).set_windows(windows)
        self._show_counts()
        self._analyse()

    # --- keeping the chrome in step ----------------------------------------------------------

    def _refresh_status(self) -> None:
        session = self.session
        doc = session.document
        spans = session.spans.get(session.tokenizer)
        tokens = f"{len(spans):,} tokens" if spans is not None else "tokenizing…"
        if session.tokenizer in session.errors:
            tokens = "failed (see notification)"
        mode = "EDIT" if self.editing else "VIEW"
        special = " · specials parsed" if session.allow_special else ""
        self.query_one("#status", Static).update(
            f"{printable(doc.name)} · {len(doc.text):,} chars · {session.tokenizer}: "
            f"{tokens}{special}"
            f"{self.overlay_status()} · {mode}{self._progress}{self.model_status()}")
        self.sub_title = printable(f"{doc.name} · {session.tokenizer}")

    def _show_mode(self) -> None:
        self.query_one("#token-column").set_class(self.editing, "-editing")
        self.query_one("#mode-bar", Static).update(
            EDIT_BAR if self.editing else self.overlay_legend() or VIEW_BAR)
        self._refresh_status()

    def _restyle_views(self) -> None:
        for view in self.query(TokenView):
            view.restyle(**self.look)

    # --- events ------------------------------------------------------------------------------

    def on_token_view_cursor_moved(self, message: TokenView.CursorMoved) -> None:
        if message.view.id == "token-view":
            self._inspect(message.index)

    @on(TextArea.Changed, "#editor")
    def _edited(self, event: TextArea.Changed) -> None:
        """The user typed: the document takes the changed lines, every other byte stays."""
        if not self.editing or self.editor_text is None:
            return
        text = self.editor_text.apply(event.text_area.document.lines)
        if text != self.session.document.text:
            self.session.replace_text(text)
            self._editor_version = self.session.document.version
            self._analyse_when_typing_pauses()

    def _analyse_when_typing_pauses(self) -> None:
        """Small texts follow each key; a big one is re-tokenized once the typing pauses."""
        if self._typing_pause is not None:
            self._typing_pause.stop()
            self._typing_pause = None
        if len(self.session.document.text) <= FOLLOW_KEYS_CHARS:
            self._analyse()
        else:
            self._typing_pause = self.set_timer(TYPING_PAUSE, self._analyse)
            self._refresh_status()

    def on_paste(self, event) -> None:
        """Bracketed paste in the token view: a dragged-in file opens, other text is inserted."""
        typing_elsewhere = isinstance(self.focused, (Input, TextArea)) or len(self.screen_stack) > 1
        if self.editing or typing_elsewhere:
            return
        path = None if self.is_web else dropped_path(event.text)  # served: the server's disk
        if path is not None:
            self.open_path(path)
            return
        view = self.query_one("#token-view", TokenView)
        text = self.session.document.text
        spans = view.spans
        on_token = spans is not None and view.cursor >= 0
        at = int(spans.char_start[view.cursor]) if on_token else len(text)
        self.set_document(text[:at] + event.text + text[at:])

    # --- driving the app (key actions, the palette, lessons and tests) -----------------------

    def set_document(self, text: str, name: str | None = None, path: Path | None = None,
                     decoding: Decoding | None = None) -> None:
        """Replace the document's text (``name``, ``path`` and ``decoding`` say where from)."""
        self.session.replace_text(text, name, path, decoding)
        if self.editing:
            self._load_editor()
        self._analyse()

    def open_document(self, document: Document) -> None:
        self.set_document(document.text, document.name, document.path, document.decoding)

    def open_path(self, path: Path | str) -> None:
        path = Path(path).expanduser()
        if not may_open(self, path):
            self.notify("a served session opens the bundled samples only (o)", title="open",
                        severity="warning")
            return
        try:
            document = read_path(path)
        except DocumentError as exc:
            self.notify(str(exc), title="open", severity="error")
            return
        self.unless_unsaved(f"open {path.name}", lambda: self.open_document(document))

    def open_sample(self, name: str) -> None:
        try:
            document = read_sample(name)
        except DocumentError as exc:
            self.notify(str(exc), title="sample", severity="error")
            return
        self.unless_unsaved(f"open {document.name}", lambda: self.open_document(document))

    async def action_quit(self) -> None:
        self.unless_unsaved("quit", self.exit)

    def set_tokenizer(self, name: str) -> None:
        """Show the document split by tokenizer ``name`` (loaded in the worker)."""
        if name == self.session.tokenizer:
            return
        self.session.tokenizer = name
        self.session.errors.pop(name, None)
        if name in self.session.spans:
            self._show_primary()
        self._analyse()

    async def set_compare(self, names: list[str]) -> None:
        self.session.compare = list(dict.fromkeys(names))
        await self.query_one(ComparePanel).set_tokenizers(self.session.compare)
        self._restyle_views()
        self._show_compare()
        self._analyse()

    def show_tab(self, tab: str) -> None:
        if self._mounted:
            self.query_one("#tabs", TabbedContent).active = tab
        else:  # the tabs would reset to the first one as they mount
            self._tab_on_mount = tab

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """Bring the tab up to date and focus its widget, so its keys work at once."""
        if not self._mounted:
            return  # the tabs are still mounting: `_tabs_ready` shows the tab asked for
        if event.pane.id == "compare":
            self._show_compare()
        elif event.pane.id == "windows":
            self._show_counts()
            self._analyse()  # counts for the windows are made only while they are looked at
        elif event.pane.id == "truncate":
            self._show_primary()
        if event.pane.id == "tokens" and self.editing:
            return
        tab = TAB_BY_ID[event.pane.id or ""]
        targets = event.pane.query(tab.focus)
        if targets:
            targets.first().focus()

    def set_truncation(self, budget: int | None = None, strategy: str | None = None,
                       position: int | None = None) -> None:
        try:
            self.query_one(TruncatePanel).configure(budget=budget, strategy=strategy,
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
        self.query_one("#token-view", TokenView).move_cursor(index)

    def narrate(self, markdown: str | None) -> None:
        """Show ``markdown`` in the narration panel (None hides it)."""
        self.query_one(Narration).say(markdown)

    async def settled(self) -> None:
        """Wait until no worker runs and every result they posted is on screen.

        A worker replaced by a newer exclusive one ends cancelled: that is normal here.
        """
        while True:
            try:
                await self.workers.wait_for_complete()
            except WorkerCancelled:
                continue
            await wait_for_idle(0)
            if not any(worker.is_running for worker in self.workers):
                return
            await asyncio.sleep(0)
