"""The Tokens tab: the token view, the editor of edit mode, the inspector, the surprisal worker.

Edit mode shows the editor above the tokens. The editor holds the document's
lines, and ``EditorText`` puts every untouched separator back, so a form feed or
a CRLF survives until the user types over it. Each change is posted as
``Edited`` with the whole new text; the screen owns the document and decides
when to re-tokenize. The surprisal overlay's two forward passes run here in a
thread worker and arrive as ``SurprisalReady``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TextArea
from textual.worker import get_current_worker

from ctxlab.tui.editor_text import EditorText
from ctxlab.tui.messages import ModelProgress, SurprisalReady
from ctxlab.tui.model_loading import ModelUnavailable, load_local_model
from ctxlab.tui.surprisal_job import score_start
from ctxlab.tui.widgets.editor import DocumentEditor
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.token_view import TokenView

if TYPE_CHECKING:  # the model stack loads with the first model feature used
    from ctxlab.core.local_models import ModelChoice
    from ctxlab.core.probes.context import Strategy

EDIT_BAR = Content.from_markup(
    "[b reverse] EDIT [/] typing changes the document; the tokens below follow · "
    "[b]Esc[/b] back to the token view")
VIEW_BAR = Content.from_markup(
    "[b reverse] VIEW [/] arrows move the token cursor · [b]e[/b] edit · "
    "[b]t[/b] next tokenizer · paste inserts at the cursor · [b]?[/b] help")
WIDE = 100  # columns from which the inspector gets its full 38
MEDIUM_WIDTH = 80  # under this the inspector moves below the text
MIN_ROWS_UNDER = 16  # rows the panel needs to show the inspector below the text


class TokensPanel(Vertical):
    """The document, tokenized; in edit mode, the document being typed too."""

    DEFAULT_CSS = """
    TokensPanel { height: 1fr; }
    TokensPanel.-medium Inspector { width: 30; }
    TokensPanel.-narrow #tokens-body { layout: vertical; }
    TokensPanel.-narrow Inspector { width: 1fr; height: 8; border-left: none;
                                    border-top: solid $primary-muted; }
    TokensPanel.-short Inspector { display: none; }
    """

    class Edited(Message):
        """The user typed: ``text`` is the whole document now."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.editing = False
        self.editor_text: EditorText | None = None  # what the editor holds, separators and all
        self._editor_version = -1  # the document version the editor holds

    def compose(self) -> ComposeResult:
        yield Static(id="mode-bar")
        with Horizontal(id="tokens-body"):
            with Vertical(id="token-column"):
                yield DocumentEditor(id="editor", soft_wrap=True)
                yield TokenView(id="token-view")
            yield Inspector(id="inspector")

    def on_resize(self, event: events.Resize) -> None:
        """Down to 80 columns the inspector stays beside the text, narrower under 100; under
        80 it moves below the text, and when that leaves too few rows it is hidden."""
        width, height = event.size
        self.set_class(MEDIUM_WIDTH <= width < WIDE, "-medium")
        self.set_class(width < MEDIUM_WIDTH, "-narrow")
        self.set_class(width < MEDIUM_WIDTH and height < MIN_ROWS_UNDER, "-short")

    # --- edit mode ---------------------------------------------------------------------

    def set_editing(self, editing: bool, text: str, version: int) -> None:
        self.editing = editing
        if editing:
            self.load_editor(text, version)
            self.query_one("#editor", TextArea).focus()
        else:
            self.query_one("#token-view", TokenView).focus()
        self.query_one("#token-column").set_class(editing, "-editing")

    def load_editor(self, text: str, version: int) -> None:
        """Put document ``version`` into the editor (once: reloading would move its cursor)."""
        if self._editor_version != version:
            editor = self.query_one("#editor", TextArea)
            editor.load_text(text)
            self.editor_text = EditorText(text, editor.document.lines, editor.document.newline)
            self._editor_version = version

    def editor_holds(self, version: int) -> None:
        """The document became ``version`` from the editor's own text: nothing to reload."""
        self._editor_version = version

    @on(TextArea.Changed, "#editor")
    def _typed(self, event: TextArea.Changed) -> None:
        if self.editing and self.editor_text is not None:
            self.post_message(self.Edited(self.editor_text.apply(event.text_area.document.lines)))

    def show_mode(self, overlay_legend: Content | None) -> None:
        self.query_one("#mode-bar", Static).update(
            EDIT_BAR if self.editing else overlay_legend or VIEW_BAR)

    # --- the surprisal overlay's worker ---------------------------------------------------

    @property
    def scoring(self) -> bool:
        return any(w.group == "surprisal" and w.is_running for w in self.workers)

    def stop_scoring(self) -> None:
        self.workers.cancel_group(self, "surprisal")

    @work(thread=True, exclusive=True, group="surprisal", exit_on_error=False)
    def score(self, version: int, text: str, strategy: Strategy, model: ModelChoice) -> None:
        """Score the start of ``text`` under ``strategy`` with ``model``; posts
        ``SurprisalReady``."""
        from ctxlab.core.model.runtime import Cancelled

        cancelled = get_current_worker().cancelled_event.is_set

        def report(label: str) -> None:
            self.post_message(ModelProgress(label))

        def tell(note: str, seconds: float | None = None) -> None:
            self.app.call_from_thread(self.app.notify, note, title="surprisal", timeout=seconds)

        try:
            loaded = load_local_model(model, report, tell)
            result = score_start(loaded, text, strategy, report, cancelled, tell)
        except ModelUnavailable as exc:
            self.app.call_from_thread(self.app.notify, str(exc), title="surprisal",
                                      severity="error")
            return
        except Cancelled:
            return
        finally:
            report("")
        if not cancelled():
            self.post_message(SurprisalReady(version, result, len(text), model))
