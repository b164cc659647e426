"""The app's actions that run the local model: loading it, the recall grid, the surprisal overlay.

The model is loaded (and, the first time, fetched: 98 MB) inside thread
workers; a missing model offline is a notification naming `ctxlab model pull`,
never a crash. The overlay repaints the token view with the model's own
tokens, coloured by how much each token's loss rose under the truncation window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.worker import get_current_worker

from ctxlab.core.model import DEFAULT_MODEL
from ctxlab.tui.analysis import Throttle
from ctxlab.tui.messages import ModelProgress, SurprisalReady
from ctxlab.tui.token_styles import HEAT, HEAT_LABELS, UNSCORED_FG
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.recall_panel import RecallPanel
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.truncate_panel import TruncatePanel

if TYPE_CHECKING:
    from textual.app import App

    from ctxlab.core.model.loader import LocalModel
    from ctxlab.core.probes.context import Strategy
    from ctxlab.tui.session import Session

SURPRISAL_MAX_TOKENS = 2048  # longer documents: only their start is scored (two passes each)
FORGETTING_SHARE = 4  # a window that holds everything shows nothing: use 1/4 of the tokens
CHARS_PER_TOKEN_BOUND = 32  # so a book is not tokenized whole just to score its start


class ModelUnavailable(Exception):
    """The default model is neither cached nor fetchable; the message says what to do."""


def load_local_model(app: App, report: Callable[[str], object]) -> LocalModel:
    """In a worker thread: the default model, fetched on first use (with progress) and cached."""
    from ctxlab.core.assets import AssetError
    from ctxlab.core.model.loader import is_default_present, load_model
    from ctxlab.core.model.weights import ModelError

    throttle = Throttle()

    def fetched(done: int, total: int) -> None:
        if throttle.ready():
            report(f"fetching SmolLM2-135M: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB")

    if is_default_present():
        report("loading SmolLM2-135M…")
    else:
        app.call_from_thread(app.notify, "Fetching SmolLM2-135M-Instruct (98 MB) once; it is "
                             "cached for next time.", title="model")
        report("fetching SmolLM2-135M (98 MB, once)…")
    try:
        return load_model(None, fetch=True, progress=fetched)
    except (AssetError, ModelError) as exc:
        raise ModelUnavailable(f"{exc}\nWhen online, run `ctxlab model pull` once.") from None


class ModelActions:
    """A mixin of `CtxlabApp`; needs ``session``, ``_show_primary``, ``_current``, the App API."""

    session: Session
    model_note = ""  # what a model worker is doing, for the status line

    def run_recall(self) -> None:
        """Run the Recall tab's grid as its form stands (or cancel the run going on)."""
        self.show_tab("recall")
        self.query_one(RecallPanel).action_run()

    def action_toggle_surprisal(self) -> None:
        """Colour tokens by the loss the window costs them; pressed again, normal colours."""
        running = any(w.group == "surprisal" and w.is_running for w in self.workers)
        if self.session.surprisal is not None or running:
            self.surprisal_off()
            return
        doc = self.session.document
        if not doc.text.strip():
            self.notify("the document is empty", title="surprisal", severity="warning")
            return
        self.show_tab("tokens")
        self._score(doc.version, doc.text, self.surprisal_strategy())

    def surprisal_strategy(self) -> Strategy:
        """The truncate tab's budget as the window: its strategy's attention mask, else sliding."""
        from ctxlab.core.probes.context import Strategy
        from ctxlab.core.strategies import STRATEGIES

        panel = self.query_one(TruncatePanel)
        masked = STRATEGIES[panel.strategy].mask is not None
        return Strategy(panel.strategy if masked else "sliding", panel.budget)

    def surprisal_off(self) -> None:
        self.workers.cancel_group(self, "surprisal")
        self.session.surprisal = None
        self.model_note = ""
        self._show_primary()

    @work(thread=True, exclusive=True, group="surprisal", exit_on_error=False)
    def _score(self, version: int, text: str, strategy: Strategy) -> None:
        from ctxlab.core.model.runtime import Cancelled
        from ctxlab.core.probes.surprisal import surprisal_map

        cancelled = get_current_worker().cancelled_event.is_set

        def report(label: str) -> None:
            self.post_message(ModelProgress(label))

        try:
            model = load_local_model(self, report)
            head = text[: SURPRISAL_MAX_TOKENS * CHARS_PER_TOKEN_BOUND]
            spans = model.tokenizer.encode(head)
            if len(spans) > SURPRISAL_MAX_TOKENS:
                head = head[: int(spans.char_end[SURPRISAL_MAX_TOKENS - 1])]
            strategy = self._window_that_forgets(strategy, min(len(spans), SURPRISAL_MAX_TOKENS))
            result = surprisal_map(model, head, strategy, should_cancel=cancelled,
                                   progress=lambda step: report(f"surprisal: scoring {step}…"))
        except ModelUnavailable as exc:
            self.call_from_thread(self.notify, str(exc), title="surprisal", severity="error")
            return
        except Cancelled:
            return
        finally:
            report("")
        if not cancelled():
            self.post_message(SurprisalReady(version, result, len(text)))

    def _window_that_forgets(self, strategy: Strategy, tokens: int) -> Strategy:
        """In the worker: a window holding all ``tokens`` would grey every token after a long
        wait (the default budget did); use a quarter of them instead, and say so."""
        from dataclasses import replace

        if strategy.window is None or strategy.window < tokens or tokens < 2 * FORGETTING_SHARE:
            return strategy
        window = tokens // FORGETTING_SHARE
        self.call_from_thread(
            self.notify, f"Truncate's budget ({strategy.window:,}) holds all {tokens:,} scored "
            f"tokens, so nothing could be forgotten: scoring under a {window:,}-token window "
            "instead (a smaller budget in Truncate chooses one)", title="surprisal")
        return replace(strategy, window=window)

    def _inspect(self, index: int) -> None:
        """Show token ``index`` of the token view, with its losses under the overlay."""
        view, overlay = self.query_one("#token-view", TokenView), self.session.surprisal
        tokenizer = DEFAULT_MODEL if overlay else self.session.tokenizer
        self.query_one(Inspector).show_token(view.spans, tokenizer, index, overlay)

    def overlay_status(self) -> str:
        """The status line says the view shows the model's tokens, not the chosen tokenizer's."""
        overlay = self.session.surprisal
        return f" · overlay: {DEFAULT_MODEL}'s {len(overlay.spans):,} tokens" if overlay else ""

    def model_status(self) -> str:
        return f" · {self.model_note}" if self.model_note else ""

    def overlay_legend(self) -> Content | None:
        """The mode bar's key to the heat colours while the overlay is on."""
        overlay = self.session.surprisal
        if overlay is None:
            return None
        swatches = [(f" {label} ", f"#e8e8e8 on {colour}")
                    for colour, label in zip(HEAT, HEAT_LABELS, strict=True)]
        return Content.assemble(
            (" SURPRISAL ", "bold reverse"), f" loss rise under {overlay.strategy.label}: ",
            *swatches, " ", ("unscored", f"italic {UNSCORED_FG}"), " · ", ("s", "bold"), " off")

    def on_model_progress(self, message: ModelProgress) -> None:
        self.model_note = message.label
        self._refresh_status()

    def on_surprisal_ready(self, message: SurprisalReady) -> None:
        if not self._current(message.version):
            return
        self.session.surprisal = message.surprisal
        window, tokens = message.surprisal.strategy.window, len(message.surprisal.spans)
        if window is not None and window >= tokens:
            self.notify(f"the {window:,}-token window holds all {tokens:,} scored tokens: nothing"
                        " was forgotten, so every token stays grey", title="surprisal")
        scored = len(message.surprisal.spans.text)
        if scored < message.total:
            self.notify(f"scored the first {len(message.surprisal.spans):,} model tokens "
                        f"({scored:,} of {message.total:,} chars)", title="surprisal")
        self._show_primary()
