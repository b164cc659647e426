"""The main screen: the tabs, the analysis that feeds them, and the keys that act on them.

The screen keeps every tab in step with the app's session: it runs the
analysis worker (the newest edit cancels the old run), routes each result to
the tab that shows it (a hidden tab catches up when it is shown), and holds
the keys that change what the tabs show: tokenizer, look, specials, edit mode,
the surprisal overlay. Each tab's own keys live on its widget (``tabs.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from ctxlab.core.documents import dropped_path
from ctxlab.core.tokenizers import specs
from ctxlab.tui.analysis import AnalysisRequest, run_analysis
from ctxlab.tui.glyphs import printable
from ctxlab.tui.messages import (
    AnalysisProgress,
    CountsReady,
    DocumentMeasured,
    ModelProgress,
    SurprisalReady,
    TokenizerFailed,
    TokensReady,
)
from ctxlab.tui.surprisal_job import overlay_legend
from ctxlab.tui.tabs import TAB_BY_ID, TABS, tab_bindings
from ctxlab.tui.token_styles import heat_levels
from ctxlab.tui.widgets.compare import ComparePanel
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.narration import Narration
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.tokens_panel import TokensPanel
from ctxlab.tui.widgets.truncate_panel import TruncatePanel
from ctxlab.tui.widgets.windows_panel import WindowsPanel

if TYPE_CHECKING:
    from ctxlab.core.probes.context import Strategy
    from ctxlab.tui.app import CtxlabApp

FOLLOW_KEYS_CHARS = 100_000  # up to here every key re-tokenizes at once (well under 50 ms)
TYPING_PAUSE = 0.3  # seconds of no typing before a bigger document is re-tokenized


class MainScreen(Screen):
    """It does not auto-focus: focusing a widget activates its tab, and the screen chooses
    the tab (and focus) itself once the tabs have mounted."""

    AUTO_FOCUS = ""
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
    ]

    def __init__(self) -> None:
        super().__init__(id="_default")
        self.model_note = ""  # what a model worker is doing, for the status line
        self._progress = ""  # how far the analysis is, for the status line
        self._tab_on_mount: str | None = None  # a tab asked for before the tabs could show it
        self._mounted = False
        self._typing_pause: Timer | None = None  # a re-analysis waiting for the typing to stop

    @property
    def ctxlab(self) -> CtxlabApp:
        return cast("CtxlabApp", self.app)

    @property
    def tokens(self) -> TokensPanel:
        return self.query_one(TokensPanel)

    @property
    def editing(self) -> bool:
        return self.tokens.editing

    def compose(self) -> ComposeResult:
        yield Header(icon="⟨⟩")
        with TabbedContent(initial=TABS[0].id, id="tabs"):
            for tab in TABS:
                with TabPane(tab.title, id=tab.id):
                    yield tab.make(self.ctxlab.settings)
        yield Narration(id="narration")
        yield Static(id="status", markup=False)
        yield Footer()

    class Ready(Message):
        """The tabs have mounted: the app may drive them (a lesson sets up its first step)."""

    async def on_mount(self) -> None:
        await self.query_one(ComparePanel).set_tokenizers(self.ctxlab.session.compare)
        self.restyle_views()
        self._show_mode()
        self.call_after_refresh(self.analyse)
        self.call_after_refresh(self._tabs_ready)
        self.query_one(WindowsPanel).load(self.ctxlab.settings.windows)

    def _tabs_ready(self) -> None:
        """The tabs have mounted (they pick their first tab then): show one asked for earlier.

        Focus moves only now: focusing a widget also activates its tab, so focusing the
        token view any earlier could undo a tab a lesson showed during mount.
        """
        self._mounted = True
        tab = self._tab_on_mount or self.ctxlab.initial_tab()
        if tab != "tokens":
            self.show_tab(tab)
        else:
            self.query_one("#token-view", TokenView).focus()
        # Ready once that focus has landed: a later tab choice must not be undone by it.
        self.call_after_refresh(self.post_message, self.Ready())

    # --- analysis ------------------------------------------------------------------------

    def analyse(self) -> None:
        session = self.ctxlab.session
        view = self.query_one("#token-view", TokenView)
        request = session.request(view.scrollable_content_region.width,
                                  with_counts=self.active_tab() == "windows")
        self.refresh_status()
        settled = set(dict(request.known)) | set(session.errors)
        if request.measured and not request.count_only and settled >= set(request.tokenizers):
            return  # nothing new to compute
        self._run_analysis(request)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _run_analysis(self, request: AnalysisRequest) -> None:
        worker = get_current_worker()
        run_analysis(request, self.post_message, lambda: worker.is_cancelled)

    def _current(self, version: int) -> bool:
        """Is a result for the text on screen, and is the app still there (not shutting down)?"""
        return self.app.is_running and version == self.ctxlab.session.document.version

    def on_document_measured(self, message: DocumentMeasured) -> None:
        if not self._current(message.version):
            return
        session = self.ctxlab.session
        session.metrics, session.layout = message.metrics, message.layout
        self.query_one("#token-view", TokenView).show(
            session.document.text, message.metrics, session.spans.get(session.tokenizer),
            message.layout)

    def on_tokens_ready(self, message: TokensReady) -> None:
        session = self.ctxlab.session
        if not self._current(message.version) or session.metrics is None:
            return
        session.spans[message.tokenizer] = message.spans
        if message.tokenizer == session.tokenizer:
            self.show_primary()
        if message.tokenizer in session.compare:
            self.show_compare()
        self._show_counts()
        self.refresh_status()

    def on_counts_ready(self, message: CountsReady) -> None:
        if self._current(message.version):
            self.ctxlab.session.counts.update(message.counts)
            self._show_counts()

    def on_tokenizer_failed(self, message: TokenizerFailed) -> None:
        if self._current(message.version):
            self.ctxlab.session.errors[message.tokenizer] = message.error
            self.app.notify(message.error, title=f"tokenizer {message.tokenizer}",
                            severity="error")
            self._show_counts()

    def on_analysis_progress(self, message: AnalysisProgress) -> None:
        if self._current(message.version):
            self._progress = "" if message.done >= message.total else (
                f" · {message.label} ({message.done + 1}/{message.total})")
            self.refresh_status()

    # --- the document ----------------------------------------------------------------------

    def document_replaced(self) -> None:
        """The session holds new text: the editor (when open) and every tab follow."""
        doc = self.ctxlab.session.document
        if self.editing:
            self.tokens.load_editor(doc.text, doc.version)
        self.analyse()

    def on_tokens_panel_edited(self, message: TokensPanel.Edited) -> None:
        """The user typed: the document takes the text; re-tokenized now or once typing pauses."""
        session = self.ctxlab.session
        if message.text == session.document.text:
            return
        session.replace_text(message.text)
        self.tokens.editor_holds(session.document.version)
        if self._typing_pause is not None:
            self._typing_pause.stop()
            self._typing_pause = None
        if len(message.text) <= FOLLOW_KEYS_CHARS:
            self.analyse()
        else:
            self._typing_pause = self.set_timer(TYPING_PAUSE, self.analyse)
            self.refresh_status()

    def on_paste(self, event: events.Paste) -> None:
        """Bracketed paste in the token view: a dragged-in file opens, other text is inserted."""
        if self.editing or isinstance(self.focused, (Input, TextArea)):
            return
        path = None if self.app.is_web else dropped_path(event.text)  # served: the server's disk
        if path is not None:
            self.ctxlab.open_path(path)
            return
        view = self.query_one("#token-view", TokenView)
        text, spans = self.ctxlab.session.document.text, view.spans
        at = int(spans.char_start[view.cursor]) if spans is not None and view.cursor >= 0 else (
            len(text))
        self.ctxlab.set_document(text[:at] + event.text + text[at:])

    # --- what the tabs show ------------------------------------------------------------------

    def show_primary(self) -> None:
        session = self.ctxlab.session
        spans = session.spans.get(session.tokenizer)
        if spans is None or session.metrics is None:
            return
        view = self.query_one("#token-view", TokenView)
        overlay = session.surprisal
        view.show(session.document.text, session.metrics, overlay.spans if overlay else spans,
                  session.layout)
        if overlay is not None:
            view.set_marks(heat=heat_levels(overlay.delta))
        self.inspect(view.cursor)
        self._show_mode()  # the mode bar and status say whether the overlay is on
        if self.active_tab() == "truncate":  # hidden tabs catch up when shown
            self.query_one(TruncatePanel).show(session.document.text, session.metrics, spans,
                                               session.tokenizer)

    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active

    def show_compare(self) -> None:
        session = self.ctxlab.session
        if session.metrics is not None and self.active_tab() == "compare":
            self.query_one(ComparePanel).show(session.document.text, session.metrics,
                                              session.spans, session.words())

    def _show_counts(self) -> None:
        if self.active_tab() != "windows":
            return
        session = self.ctxlab.session
        counts = {name: len(spans) for name, spans in session.spans.items()}
        self.query_one(WindowsPanel).show_counts({**session.counts, **counts}, session.errors)

    async def on_windows_panel_loaded(self, message: WindowsPanel.Loaded) -> None:
        windows = message.windows
        self.ctxlab.windows = windows
        self.ctxlab.session.window_tokenizers = tuple(w.tokenizer for w in windows)
        await self.query_one(WindowsPanel).set_windows(windows)
        self._show_counts()
        self.analyse()

    def inspect(self, index: int) -> None:
        """Show token ``index`` of the token view, with its losses under the overlay."""
        session = self.ctxlab.session
        view, overlay = self.query_one("#token-view", TokenView), session.surprisal
        if overlay is not None and session.overlay_model is not None:
            tokenizer: str | None = session.overlay_model.tokenizer
        else:  # until a new tokenizer's spans arrive, the view still shows the old one's
            tokenizer = next((name for name, spans in session.spans.items()
                              if spans is view.spans), None)
        self.query_one(Inspector).show_token(view.spans if tokenizer else None, tokenizer or "",
                                             index, overlay)

    def on_token_view_cursor_moved(self, message: TokenView.CursorMoved) -> None:
        if message.view.id == "token-view":
            self.inspect(message.index)

    # --- the chrome ------------------------------------------------------------------------

    def refresh_status(self) -> None:
        session = self.ctxlab.session
        status = printable(session.summary(self.editing)) + self._progress + (
            f" · {self.model_note}" if self.model_note else "")
        self.query_one("#status", Static).update(status)
        self.app.sub_title = printable(f"{session.document.name} · {session.tokenizer}")

    def _show_mode(self) -> None:
        overlay = self.ctxlab.session.surprisal
        self.tokens.show_mode(overlay_legend(overlay) if overlay is not None else None)
        self.refresh_status()

    def restyle_views(self) -> None:
        for view in self.query(TokenView):
            view.set_look(self.ctxlab.look)

    # --- tabs ------------------------------------------------------------------------------

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
            self.show_compare()
        elif event.pane.id == "windows":
            self._show_counts()
            self.analyse()  # counts for the windows are made only while they are looked at
        elif event.pane.id == "truncate":
            self.show_primary()
        if event.pane.id == "tokens" and self.editing:
            return
        targets = event.pane.query(TAB_BY_ID[event.pane.id or ""].focus)
        if targets:
            targets.first().focus()

    # --- keys ------------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.show_tab(tab)

    def action_toggle_edit(self) -> None:
        doc = self.ctxlab.session.document
        editing = not self.editing
        if editing:
            self.show_tab("tokens")
        self.tokens.set_editing(editing, doc.text, doc.version)
        self._show_mode()

    def action_view_tokens(self) -> None:
        """Escape: leave edit mode, or a form's field, so the tab and look keys work again."""
        if self.editing:
            self.action_toggle_edit()
        elif isinstance(self.focused, Input):
            self.set_focus(None)

    def action_next_tokenizer(self) -> None:
        session = self.ctxlab.session
        names = list(dict.fromkeys([*session.compare, *specs()]))
        current = names.index(session.tokenizer) if session.tokenizer in names else -1
        self.ctxlab.set_tokenizer(names[(current + 1) % len(names)])

    def action_pick_compare(self) -> None:
        from ctxlab.tui.screens.picker_screen import TokenizerPicker

        async def chosen(names: list[str] | None) -> None:
            if names:
                await self.ctxlab.set_compare(names)

        self.app.push_screen(TokenizerPicker(self.ctxlab.session.compare), chosen)

    def action_toggle_whitespace(self) -> None:
        self.ctxlab.look = self.ctxlab.look.toggled_whitespace()
        self.restyle_views()

    def action_toggle_colours(self) -> None:
        self.ctxlab.look = self.ctxlab.look.next_colours()
        self.restyle_views()

    def action_toggle_special(self) -> None:
        session = self.ctxlab.session
        session.allow_special = not session.allow_special
        session.forget_tokens()
        self.analyse()

    # --- the surprisal overlay ---------------------------------------------------------------

    def action_toggle_surprisal(self) -> None:
        """Colour tokens by the loss the window costs them; pressed again, normal colours."""
        session = self.ctxlab.session
        if session.surprisal is not None or self.tokens.scoring:
            self.surprisal_off()
            return
        doc = session.document
        if not doc.text.strip():
            self.app.notify("the document is empty", title="surprisal", severity="warning")
            return
        self.show_tab("tokens")
        self.tokens.score(doc.version, doc.text, self.surprisal_strategy(), session.model)

    def surprisal_strategy(self) -> Strategy:
        """The truncate tab's budget as the window: its strategy's attention mask, else sliding."""
        from ctxlab.core.probes.context import Strategy
        from ctxlab.core.strategies import STRATEGIES

        panel = self.query_one(TruncatePanel)
        masked = STRATEGIES[panel.strategy].mask is not None
        return Strategy(panel.strategy if masked else "sliding", panel.budget)

    def surprisal_off(self) -> None:
        self.tokens.stop_scoring()
        self.ctxlab.session.surprisal = None
        self.model_note = ""
        self.show_primary()

    def model_changed(self) -> None:
        """The session's model is loaded: an overlay on (or being scored) is scored again by it."""
        if self.ctxlab.session.surprisal is not None or self.tokens.scoring:
            self.surprisal_off()
            self.action_toggle_surprisal()
        self.refresh_status()

    def on_model_progress(self, message: ModelProgress) -> None:
        self.model_note = message.label
        self.refresh_status()

    def on_surprisal_ready(self, message: SurprisalReady) -> None:
        if not self._current(message.version):
            return
        overlay = self.ctxlab.session.surprisal = message.surprisal
        self.ctxlab.session.overlay_model = message.model
        window, tokens = overlay.strategy.window, len(overlay.spans)
        if window is not None and window >= tokens:
            self.app.notify(f"the {window:,}-token window holds all {tokens:,} scored tokens: "
                            "nothing was forgotten, so every token stays grey", title="surprisal")
        scored = len(overlay.spans.text)
        if scored < message.total:
            self.app.notify(f"scored the first {tokens:,} model tokens ({scored:,} of "
                            f"{message.total:,} chars)", title="surprisal")
        self.show_primary()
