"""Truncate: pick a budget and a strategy, and see which tokens a model would never get.

The cut is computed in a thread worker (with the tokenizer, the kept text is
re-encoded until it really fits) and shown as greyed-out tokens in a token view.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual.worker import get_current_worker

from ctxlab.core.spans import TokenSpans
from ctxlab.core.strategies import STRATEGIES, UnknownStrategy, truncations
from ctxlab.core.strategies import strategy as find_strategy
from ctxlab.core.text_layout import CellMetrics
from ctxlab.core.truncation import Truncation, cut, dropped_mask
from ctxlab.tui.analysis import worker_tokenizer
from ctxlab.tui.widgets.token_view import TokenView

STRATEGY_CHOICES = tuple(record.name for record in truncations())


class TruncatePanel(Vertical):
    BINDINGS = [
        Binding("plus,equals_sign", "budget(2.0)", "Budget ×2", id="ctxlab.budget.more"),
        Binding("minus", "budget(0.5)", "Budget ÷2", id="ctxlab.budget.less"),
        Binding("m", "next_strategy", "Strategy", id="ctxlab.strategy.next"),  # s: surprisal
        Binding("full_stop", "slide(1)", "Window →", id="ctxlab.window.next"),
        Binding("comma", "slide(-1)", "Window ←", id="ctxlab.window.previous"),
    ]
    DEFAULT_CSS = """
    TruncatePanel #truncate-controls { height: 3; }
    TruncatePanel #truncate-controls Label { padding: 1 1 0 1; }
    TruncatePanel #budget { width: 14; }
    TruncatePanel #strategy { width: 24; }
    TruncatePanel #truncate-summary { height: 2; padding: 0 1; }
    """

    class Changed(Message):
        """A new cut is on screen."""

        def __init__(self, result: Truncation) -> None:
            super().__init__()
            self.result = result

    def __init__(self, budget: int, strategy: str, *, id: str | None = None) -> None:  # noqa: A002 (Textual\'s name)
        super().__init__(id=id)
        self.budget = budget
        self.strategy = _choice(strategy)
        self.position = 0
        self.positions = 1
        self.result: Truncation | None = None
        self._source: tuple[TokenSpans, str] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="truncate-controls"):
            yield Label("Budget")
            yield Input(str(self.budget), id="budget", type="integer")
            yield Label("Strategy")
            yield Select([(STRATEGIES[s].label, s) for s in STRATEGY_CHOICES], value=self.strategy,
                         allow_blank=False, id="strategy")
        yield Static("", id="truncate-summary")
        yield TokenView(id="truncate-view")

    def show(self, text: str, metrics: CellMetrics, spans: TokenSpans, tokenizer: str) -> None:
        self.query_one(TokenView).show(text, metrics, spans)
        self._source = (spans, tokenizer)
        self.recompute()

    def configure(self, *, budget: int | None = None, strategy: str | None = None,
                  position: int | None = None) -> None:
        """Set any of budget, strategy and window position, then recompute the cut."""
        if strategy is not None:
            record = find_strategy(strategy)
            if record.name not in STRATEGY_CHOICES:
                raise ValueError(f"strategy {strategy!r} does not cut tokens: use one of "
                                 f"{', '.join(STRATEGY_CHOICES)}")
            strategy = self.strategy = record.name
            self.query_one("#strategy", Select).value = strategy
        if budget is not None:
            self.budget = max(0, int(budget))
            self.query_one("#budget", Input).value = str(self.budget)
        if position is not None:
            self.position = max(0, position)
        self.recompute()

    def recompute(self) -> None:
        if self._source is not None:
            spans, tokenizer = self._source
            self._cut(spans, tokenizer, self.budget, self.strategy, self.position)

    @work(thread=True, exclusive=True, group="truncate", exit_on_error=False)
    def _cut(self, spans: TokenSpans, tokenizer: str, budget: int, strategy: str,
             position: int) -> None:
        try:
            result, positions = cut(spans, budget, strategy, position=position,
                                    tokenizer=worker_tokenizer(tokenizer, len(spans.text)))
        except ValueError as exc:  # a sliding window of 0 tokens: say so, keep the view
            self.app.call_from_thread(self._show_problem, spans, f"{exc}: budget {budget}")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_cut, spans, result, positions)

    def _show_problem(self, spans: TokenSpans, problem: str) -> None:
        if self._source is not None and self._source[0] is spans:
            self.result = None
            self.query_one(TokenView).set_marks()
            self.query_one("#truncate-summary", Static).update(Content.styled(problem, "red"))

    def _show_cut(self, spans: TokenSpans, result: Truncation, positions: int) -> None:
        if self._source is None or self._source[0] is not spans:
            return  # the text or tokenizer changed while this was computed
        self.result, self.positions = result, positions
        self.position = min(self.position, positions - 1)
        view = self.query_one(TokenView)
        view.set_marks(dropped=dropped_mask(len(spans), result.kept))
        if STRATEGIES[self.strategy].slides and result.kept:  # the window slid: show it
            view.move_cursor(result.kept[0][0])
        self.query_one("#truncate-summary", Static).update(self.summary())
        self.post_message(self.Changed(result))

    def summary(self) -> str:
        result = self.result
        if result is None:
            return ""
        total = result.kept_tokens + result.dropped_tokens
        share = 100.0 * result.dropped_tokens / total if total else 0.0
        record = STRATEGIES[self.strategy]
        how = (f"window {self.position + 1} of {self.positions} (, and . move it)"
               if record.slides else record.help)
        check = (f" · kept text re-encodes to {result.reencoded_tokens:,}"
                 if result.reencoded_tokens is not None else "")
        dropped_chars = sum(end - start for start, end in result.dropped_chars)
        return (f"kept {result.kept_tokens:,} of {total:,} tokens · dropped "
                f"{result.dropped_tokens:,} ({share:.1f}%, {dropped_chars:,} chars){check}\n"
                f"{record.label}: {how}")

    @on(Input.Submitted, "#budget")
    @on(Input.Changed, "#budget")
    def _budget_typed(self, event: Input.Changed | Input.Submitted) -> None:
        if event.value.isdigit() and int(event.value) != self.budget:  # 0 keeps nothing
            self.budget = int(event.value)
            self.recompute()

    @on(Select.Changed, "#strategy")
    def _strategy_chosen(self, event: Select.Changed) -> None:
        if event.value != self.strategy and event.value in STRATEGY_CHOICES:
            self.strategy = str(event.value)
            self.recompute()

    def action_budget(self, factor: float) -> None:
        self.configure(budget=max(1, round(self.budget * factor)))

    def action_next_strategy(self) -> None:
        index = STRATEGY_CHOICES.index(self.strategy)
        self.configure(strategy=STRATEGY_CHOICES[(index + 1) % len(STRATEGY_CHOICES)])

    def action_slide(self, step: int) -> None:
        if STRATEGIES[self.strategy].slides:
            self.configure(position=min(self.position + step, self.positions - 1))


def _choice(strategy: str) -> str:
    """A configured strategy by its record's name; one that cuts nothing gives middle-out."""
    try:
        name = find_strategy(strategy).name
    except UnknownStrategy:
        return "cut-middle"
    return name if name in STRATEGY_CHOICES else "cut-middle"
