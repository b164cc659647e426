"""Recall: hide a fact in filler, ask the local model for it, and map where it is forgotten.

A thread worker loads the session's model (picked in the bar, or anywhere
else in the app) and runs the grid, posting the trials so far at most four
times a second; the heatmap fills in as they land. The grid also asks each
question with no fact in the text: a cell whose answer the model gives anyway
is marked as not counting. The highlighted cell shows the model's answer, its
answer with no fact, and the document it was given, with what it could not
see greyed out (rebuilt in a second worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import get_current_worker

from ctxlab.core.local_models import ModelChoice, bundled_choices, model_choice
from ctxlab.core.strategies import probe_defaults
from ctxlab.tui.analysis import Throttle
from ctxlab.tui.glyphs import printable
from ctxlab.tui.messages import ModelChosen
from ctxlab.tui.recall_job import (
    RecallForm,
    RecallRun,
    TrialContext,
    trial_context,
    trial_count,
)
from ctxlab.tui.widgets.heatmap import LEGEND, RecallHeatmap
from ctxlab.tui.widgets.token_view import TokenView

if TYPE_CHECKING:
    from ctxlab.core.probes.recall import GridSpec, RecallResult, Trial

FIELDS = {"depths": "depths %", "lengths": "lengths", "window": "W", "strategies": "strategies",
          "needles": "needles"}


FORM_WIDTH = 107  # columns the form needs on one row


class RecallPanel(Vertical):
    BINDINGS = [Binding("r", "run", "Run / cancel", id="ctxlab.recall.run")]
    DEFAULT_CSS = """
    RecallPanel #recall-form, RecallPanel #recall-bar { height: 1; margin: 1 1 0 0; }
    RecallPanel #recall-form Label { padding: 0 1; }
    RecallPanel #recall-form Input { width: 10; }
    RecallPanel #recall-form #recall-window { width: 6; }
    RecallPanel #recall-form #recall-strategies { width: 31; }
    RecallPanel #recall-form #recall-needles { width: 4; }
    RecallPanel #recall-run { margin: 0 1; min-width: 10; }
    RecallPanel #recall-model { width: 18; margin-right: 1; }
    RecallPanel #recall-status { width: 1fr; }
    RecallPanel #recall-legend { height: 1; padding: 0 1; color: $text-muted; }
    RecallPanel #recall-heatmap { margin: 0 1; }
    RecallPanel #recall-answer { height: auto; padding: 0 1; border-top: solid $primary-muted; }
    RecallPanel #recall-context { height: 1fr; }
    RecallPanel.-narrow #recall-form { layout: grid; grid-size: 6; grid-rows: 1;
                                       grid-columns: 12 33 9 11 3 6; height: 2; }
    """

    class Started(Message, bubble=False):
        """The model is loaded: trials of this run can be rebuilt from ``run``."""

        def __init__(self, run_id: int, run: RecallRun) -> None:
            super().__init__()
            self.run_id, self.run = run_id, run

    class Progress(Message, bubble=False):
        """Every trial so far (so a newer message can replace an unhandled older one)."""

        def __init__(self, run_id: int, trials: tuple[Trial, ...], label: str,
                     finished: bool = False, cancelled: bool = False) -> None:
            super().__init__()
            self.run_id, self.trials, self.label = run_id, trials, label
            self.finished, self.cancelled = finished, cancelled

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RecallPanel.Progress) and message.run_id == self.run_id

    class ContextReady(Message, bubble=False):
        def __init__(self, context: TrialContext) -> None:
            super().__init__()
            self.context = context

    class ShapeRead(Message, bubble=False):
        """``model``'s own local window is known (None: it has no local layers)."""

        def __init__(self, model: ModelChoice, own_window: int | None) -> None:
            super().__init__()
            self.model, self.own_window = model, own_window

    def __init__(self, model: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model_choice(model)  # the session's model, which the next run uses
        self.own_window: int | None = None  # its own local layers' window, once known
        self._options = self._model_options()  # the model select's (label, value) pairs
        self.running = False
        self.cancelled = False
        self.run: RecallRun | None = None
        self.total = 0
        self.shown: list[Trial] = []  # the highlighted cell's trials
        self.shown_baselines: list[Trial] = []  # its column's trials with no fact in the text
        self._run_id = 0

    def compose(self) -> ComposeResult:
        form = RecallForm()
        with Horizontal(id="recall-form"):
            for name, label in FIELDS.items():
                yield Label(label)
                yield Input(getattr(form, name), id=f"recall-{name}", compact=True)
        with Horizontal(id="recall-bar"):
            yield Button("Run", id="recall-run", compact=True, variant="primary")
            yield Select(self._options, value=self.model.name, allow_blank=False,
                         compact=True, id="recall-model", tooltip="the local model (M)")
            yield Static(self._idle_text(), id="recall-status")
        yield RecallHeatmap(id="recall-heatmap")
        yield Static(LEGEND, id="recall-legend")
        yield Static("", id="recall-answer")
        yield TokenView(id="recall-context")

    def on_mount(self) -> None:
        self._read_shape(self.model)

    def on_resize(self, event: events.Resize) -> None:
        """Under ``FORM_WIDTH`` columns the form takes two rows instead of running off."""
        self.set_class(event.size.width < FORM_WIDTH, "-narrow")

    # --- the model ----------------------------------------------------------------------

    def _model_options(self) -> list[tuple[str, str]]:
        names = [c.name for c in bundled_choices()]
        return [(name, name) for name in dict.fromkeys([*names, self.model.name])]

    def show_model(self, model: ModelChoice) -> None:
        """The session's model changed (or went back after a failed load): the next run
        uses it, and the strategies offer its own attention if it has local layers."""
        if model == self.model:
            return
        self.model = model
        select = self.query_one("#recall-model", Select)
        options = self._model_options()
        if options != self._options:  # a model given by its path joins the list
            select.set_options(options)
            self._options = options
        select.value = model.name
        self._offer(None)
        self._read_shape(model)

    def shape_known(self, model: ModelChoice) -> None:
        """``model`` is loaded (so on disk, maybe just fetched): read its shape again."""
        if model == self.model:
            self._read_shape(model)

    @on(Select.Changed, "#recall-model")
    def _model_picked(self, event: Select.Changed) -> None:
        """The user picked a model here (a change made by `show_model` is not a pick; an
        event older than the select's value is stale)."""
        value = event.value
        if isinstance(value, str) and value == event.select.value and value != self.model.name:
            self.post_message(ModelChosen(value))

    @work(thread=True, exclusive=True, group="recall-shape", exit_on_error=False)
    def _read_shape(self, model: ModelChoice) -> None:
        from ctxlab.core.errors import UserError
        from ctxlab.core.local_models import own_window

        try:
            window = own_window(model)
        except UserError:  # not a usable model: its load says so, once
            window = None
        self.post_message(self.ShapeRead(model, window))

    def on_recall_panel_shape_read(self, message: ShapeRead) -> None:
        if message.model == self.model:
            self._offer(message.own_window)

    def _offer(self, own_window: int | None) -> None:
        """Swap the strategies field to the model's default, unless the user edited it."""
        field = self.query_one("#recall-strategies", Input)
        if field.value == probe_defaults(self.own_window):
            field.value = probe_defaults(own_window)
        self.own_window = own_window
        if not self.running and self.run is None:
            self._status(self._idle_text())

    # --- the form and the run ---------------------------------------------------------

    def form(self) -> RecallForm:
        return RecallForm(**{name: self.query_one(f"#recall-{name}", Input).value
                             for name in FIELDS})

    def configure(self, **values: str) -> None:
        """Fill in form fields (``depths="0,100"``, ``window="128"``...) before `run_grid`."""
        for name, value in values.items():
            self.query_one(f"#recall-{name}", Input).value = value

    def action_run(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.run_grid()

    @on(Button.Pressed, "#recall-run")
    @on(Input.Submitted, "#recall-form Input")
    def _run_pressed(self) -> None:
        self.action_run()

    def run_grid(self) -> None:
        """Start the grid the form describes (a bad field is a notification)."""
        try:
            spec, needles = self.form().spec()
        except ValueError as exc:
            self.notify(str(exc), title="recall", severity="error")
            return
        self._run_id += 1
        self.run, self.total, self.cancelled = None, trial_count(spec, needles), False
        self._set_running(True)
        self.query_one(RecallHeatmap).prepare(spec.depths, spec.lengths,
                                              [s.label for s in spec.strategies])
        self._status(f"starting {self.total} trials…")
        self._run(self._run_id, spec, needles, self.model)

    def cancel(self) -> None:
        self.workers.cancel_group(self, "recall")
        self._status("cancelling…")

    @work(thread=True, exclusive=True, group="recall", exit_on_error=False)
    def _run(self, run_id: int, spec: GridSpec, needle_count: int, choice: ModelChoice) -> None:
        from ctxlab.core.probes.needles import load_haystack, load_needles
        from ctxlab.core.probes.recall import grid_haystack, iter_needle_grid, new_grid_result
        from ctxlab.tui.model_loading import ModelUnavailable, load_local_model

        cancelled = get_current_worker().cancelled_event.is_set
        trials: list[Trial] = []

        def post(label: str, finished: bool = False) -> None:
            self.post_message(self.Progress(run_id, tuple(trials), label, finished, cancelled()))

        try:
            model = load_local_model(choice, post, lambda note, seconds: self.app.call_from_thread(
                self.app.notify, note, title="model", timeout=seconds))
            needles, filler = load_needles()[:needle_count], load_haystack()
            haystack = grid_haystack(model, spec, filler)
            self.post_message(self.Started(run_id, RecallRun(spec, tuple(needles), haystack,
                                                             model, choice)))
            result = new_grid_result(model, spec, needles)
            trials = result.trials
            post(f"running {self.total} trials (the first primes the cache)…")
            throttle = Throttle()
            for event in iter_needle_grid(model, spec, needles, filler, result,
                                          should_cancel=cancelled):
                if throttle.ready():
                    post(_progress_label(event.done, event.total, event.trial))
        except ModelUnavailable as exc:
            self.app.call_from_thread(self.notify, str(exc), title="recall", severity="error")
        finally:
            post("", finished=True)

    def on_recall_panel_started(self, message: Started) -> None:
        if message.run_id == self._run_id:
            self.run = message.run
            if message.run.choice == self.model:  # a checkpoint's shape is known only now
                self._offer(message.run.model.config.local_window)

    def on_recall_panel_progress(self, message: Progress) -> None:
        if message.run_id != self._run_id:
            return
        heatmap = self.query_one(RecallHeatmap)
        heatmap.add_trials(message.trials)
        if not message.finished:
            self._status(message.label)
            return
        self.cancelled = message.cancelled
        self._set_running(False)
        self._status(self._summary(heatmap.result))
        self.show_cell(heatmap.cursor_coordinate)

    def _summary(self, result: RecallResult) -> str:
        """What counts first (a narrow bar shows only that), then what ran and which model
        answered."""
        trials = [t for t in result.trials if not t.baseline]
        baselines = len(result.trials) - len(trials)
        hits = sum(t.recalled for t in trials)
        counted = sum(result.counts(t) for t in trials)
        state = " (cancelled)" if self.cancelled else ""
        verdict = (f"{counted} count ({hits - counted} guessed with no fact)" if hits > counted
                   else "none guessed with no fact" if baselines
                   else "the no-fact baseline did not run")
        model = self.run.choice.label if self.run is not None else self.model.label
        return (f"{hits} recalled, {verdict} · {len(result.trials)} of {self.total} trials"
                f"{state} · greedy answers from {model} · arrows pick a cell · r runs again")

    def _set_running(self, running: bool) -> None:
        self.running = running
        button = self.query_one("#recall-run", Button)
        button.label = "Cancel" if running else "Run"
        button.variant = "error" if running else "primary"

    def _status(self, text: str) -> None:
        self.query_one("#recall-status", Static).update(text)

    def _idle_text(self) -> str:
        own = (f" · native: its own {self.own_window}-token local layers" if self.own_window
               else "")
        return (f"r: ask {self.model.label} for a fact hidden at each depth and length (and "
                f"with none), under each strategy with window W{own}")

    # --- the highlighted cell -----------------------------------------------------------

    @on(DataTable.CellHighlighted, "#recall-heatmap")
    def _cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self.show_cell(event.coordinate)

    def show_cell(self, coordinate: Coordinate) -> None:
        """Show the answer(s) of the cell at ``coordinate`` and, in a worker, its document."""
        heatmap, run = self.query_one(RecallHeatmap), self.run
        trials = heatmap.trials_at(coordinate)
        self.shown = trials if run is not None else []
        self.shown_baselines = heatmap.baselines_at(coordinate) if trials else []
        answer = self.query_one("#recall-answer", Static)
        answer.update(answer_content(run, trials, self.shown_baselines)
                      if run is not None and trials else "")
        if run is not None and trials:
            self._rebuild(run, trials[0])

    @work(thread=True, exclusive=True, group="recall-cell", exit_on_error=False)
    def _rebuild(self, run: RecallRun, trial: Trial) -> None:
        context = trial_context(run, trial)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ContextReady(context))

    def on_recall_panel_context_ready(self, message: ContextReady) -> None:
        context = message.context
        if self.run is None or not self.shown or context.trial != self.shown[0]:
            return  # another cell is highlighted by now
        view = self.query_one("#recall-context", TokenView)
        view.show(context.spans.text, context.metrics, context.spans)
        view.set_marks(dropped=context.unseen)
        view.move_cursor(context.needle_token)
        self.query_one("#recall-answer", Static).update(Content.assemble(
            answer_content(self.run, self.shown, self.shown_baselines), "\n",
            (context.summary, "dim")))


def _progress_label(done: int, total: int, trial: Trial) -> str:
    outcome = "recalled" if trial.recalled else "missed"
    where = "no fact in the text" if trial.baseline else f"needle at {trial.depth:.0%}"
    return (f"trial {done} of {total} · {trial.strategy} · {where} of {trial.length} tokens: "
            f"{outcome}")


BRIEF = 60  # characters of a no-fact answer shown when it does not hold the answer


def _first_words(answer: str) -> str:
    """The start of a reply that missed (a base model runs on for lines): its first line."""
    line = answer.strip().split("\n")[0]
    return line if len(line) <= BRIEF and line == answer.strip() else line[:BRIEF] + "…"


def answer_content(run: RecallRun, trials: Sequence[Trial],
                   baselines: Sequence[Trial] = ()) -> Content:
    """Where the needle was, and each needle's question, expected answer and greedy reply,
    beside the reply with no fact in the text (a recall it guesses does not count).

    Styled without markup: the model's answers and the needles are text, whatever they hold.
    """
    first = trials[0]
    parts: list[str | tuple[str, str]] = [
        (printable(first.strategy), "bold"),
        f" · needle at {first.depth:.0%} of a {first.length}-token document · "
        f"{first.prompt_tokens} tokens fed · {run.choice.label}"]
    for trial in trials:
        needle = run.needle(trial.needle)
        guess = next((b for b in baselines if b.needle == trial.needle), None)
        verdict = (("recalled ✓", "green") if trial.recalled and not (guess and guess.recalled)
                   else ("guessed ✓*", "bold") if trial.recalled else ("missed ✗", "red"))
        parts += ["\n", verdict, f" log P = {trial.answer_logprob:.2f} · Q: "
                  f"{printable(needle.question)} (expected {printable(needle.answer)})",
                  f"\n  answer: {printable(repr(trial.answer))}"]
        if guess is not None:
            said = "it says so anyway: not counted" if guess.recalled else "it cannot guess"
            reply = guess.answer if guess.recalled else _first_words(guess.answer)
            parts += [f"\n  with no fact in the text: {printable(repr(reply))} ",
                      (f"({said})", "bold" if guess.recalled else "dim")]
    return Content.assemble(*parts)
