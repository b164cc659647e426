"""Lesson mode: the app steps through a lesson, setting up each step's view and narrating it.

Each step first puts the app in the state it describes (document, tokenizer,
compare set, window cut, tab) through the app's driving API, then observes
the step in a thread worker (model steps take seconds) and adds what it saw
to the narration. Observations are kept, so stepping back is instant.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import partial
from typing import cast

from textual import work
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from ctxlab.config import Settings
from ctxlab.core.lessons.documents import step_text
from ctxlab.core.lessons.loader import Lesson, LessonError, Step
from ctxlab.core.lessons.runner import MODEL_SHOWS, LessonRun, StepResult
from ctxlab.core.local_models import model_choice
from ctxlab.core.model import DEFAULT_MODEL
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.main_screen import MainScreen

MAP_KEYS = tuple(f"{mark} " for mark in "ABCDEFGHoX")  # legend lines of the scaling map


class LessonCommands(Provider):
    """A palette entry per bundled lesson, so a finished lesson leads to the next one."""

    async def discover(self) -> Hits:
        for title, help_text, callback in self._lessons():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._lessons():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)

    def _lessons(self) -> list[tuple[str, str, Callable[[], object]]]:
        from ctxlab.core.lessons.loader import list_lessons

        app = cast("LessonApp", self.app)
        return [(f"Lesson {lesson.number}: {lesson.title}", " ".join(lesson.summary.split()),
                 partial(app.start_lesson, lesson)) for lesson in list_lessons()]


class LessonApp(CtxlabApp):
    COMMANDS = CtxlabApp.COMMANDS | {LessonCommands}
    BINDINGS = [
        *CtxlabApp.BINDINGS,
        Binding("n", "lesson_step(1)", "Next step", id="ctxlab.lesson.next"),
        Binding("p", "lesson_step(-1)", "Previous step", id="ctxlab.lesson.previous"),
    ]

    def __init__(self, settings: Settings | None, lesson: Lesson, start: int = 0,
                 model: str | None = None) -> None:
        super().__init__(settings)
        self.lesson = lesson
        self.lesson_run = LessonRun(lesson, model)
        self.step_index = start  # 0-based; clamped when shown
        self.result: StepResult | None = None  # the observation of the step on screen
        self._observing_since = 0.0  # when the step on screen started its observation

    async def on_main_screen_ready(self, message: MainScreen.Ready) -> None:
        """The app mounts before its screen's tabs exist: the first step waits for them."""
        self.set_interval(1, self._tick)
        await self.show_step(self.step_index)

    async def start_lesson(self, lesson: Lesson) -> None:
        """Leave this lesson for ``lesson``, at its first step (from the palette)."""
        self.workers.cancel_group(self, "lesson")
        self.lesson, self.lesson_run = lesson, LessonRun(lesson, self.lesson_run.model)
        await self.show_step(0)

    async def action_lesson_step(self, delta: int) -> None:
        await self.show_step(self.step_index + delta)

    async def show_step(self, index: int) -> None:
        """Set up step ``index`` (clamped to the lesson), narrate it, and observe it."""
        self.step_index = max(0, min(index, len(self.lesson.steps) - 1))
        step = self.lesson.steps[self.step_index]
        self.result = None
        try:
            await self._set_up(step)
        except LessonError as exc:
            self.notify(str(exc), title="lesson", severity="error")
        self._observing_since = time.monotonic()
        self.narrate(self._markdown(step, None))
        self._observe(self.step_index)

    async def _set_up(self, step: Step) -> None:
        text, tokenizer = _document(step), None
        if step.show == "window":
            from ctxlab.core.lessons.text_steps import WINDOW_STRATEGY, step_window

            window = step_window(step)
            tokenizer = step.get("tokenizers", [window.tokenizer])[0]
            self.set_truncation(budget=window.context,
                                strategy=step.get("strategy", WINDOW_STRATEGY))
        elif step.show in ("tokens", "languages"):
            await self.set_compare(list(step.get("tokenizers")))
        elif step.show == "ask":  # the document in the tokens of the model that reads it
            model = step.get("model") or self.lesson_run.model or DEFAULT_MODEL
            tokenizer = model_choice(model).tokenizer
            if _step_tab(step) == "truncate":  # grey out what the model cannot see
                self.set_truncation(budget=step.get("window"), strategy=step.get("strategy"))
        elif step.show == "chat":
            tokenizer = step.get("tokenizers")[0]
        self.set_document(text, f"lesson {self.lesson.number}: {step.title}")
        if tokenizer:
            self.set_tokenizer(tokenizer)
        self.show_tab(_step_tab(step))

    def initial_tab(self) -> str:
        """The first step's tab, shown as the tabs mount (a later switch could race the
        initial focus, which activates the tab it lands in)."""
        return _step_tab(self.lesson.steps[max(0, min(self.step_index,
                                                      len(self.lesson.steps) - 1))])

    @work(thread=True, exclusive=True, group="lesson", exit_on_error=False)
    def _observe(self, index: int) -> None:
        try:
            result = self.lesson_run.step(index)
        except LessonError as exc:
            self.call_from_thread(self.notify, str(exc), title="lesson", severity="error")
            return
        self.call_from_thread(self._observed, result)

    def _observed(self, result: StepResult) -> None:
        if result.index == self.step_index:
            self.result = result
            self._grey_what_the_model_did_not_see(result)
            self.narrate(self._markdown(result.step, result))

    def _grey_what_the_model_did_not_see(self, result: StepResult) -> None:
        """Match the greyed-out tokens to the context the answer really attended to.

        The window also holds the chat template and the question, so the model sees
        fewer document tokens than the window; the observation says exactly which.
        """
        seen = result.observation.get("seen_tokens") if result.step.show == "ask" else None
        from ctxlab.core.strategies import strategy as find_strategy

        record = find_strategy(result.step.get("strategy", "full"))
        if not seen or not record.needs_window:
            return
        budget = sum(end - start for start, end in seen)
        # At the answer, a sliding window reaches back over the newest tokens: an end kept.
        self.set_truncation(budget=budget, strategy="keep-end" if record.slides else record.name)

    def _tick(self) -> None:
        """While a step is observed, the narration counts the seconds (model steps take
        15-40 s on two cores; a fixed "a few seconds" was a promise it could not keep)."""
        if self.result is None and self.is_running:
            step = self.lesson.steps[self.step_index]
            self.narrate(self._markdown(step, None))

    def _markdown(self, step: Step, result: StepResult | None) -> str:
        last = self.step_index == len(self.lesson.steps) - 1
        where = f"step {self.step_index + 1} of {len(self.lesson.steps)}"
        lines = result.lines if result is not None else []
        if step.show == "scaling":  # the map is in the document pane: keep its legend here
            lines = [line for line in lines if line.lstrip()[:2] in MAP_KEYS]
        seen = (_observing(step, time.monotonic() - self._observing_since) if result is None
                else _observation_markdown(lines))
        broken = "".join(f"\n\n**claim does not hold:** {b}"
                         for b in (result.broken if result else []))
        keys = ("**The end of this lesson.** *p* previous · *ctrl+p* then \"Lesson\" for "
                "another" if last else "*n* next · *p* previous")
        return (f"### {self.lesson.number}. {self.lesson.title}\n\n**{step.title}** ({where})\n\n"
                f"{step.narration}\n\n{seen}{broken}\n\n{keys}")


def _step_tab(step: Step) -> str:
    """The tab that shows what a step is about."""
    if step.show == "window" or (step.show == "ask" and step.get("strategy", "full") != "full"):
        return "truncate"
    if step.show in ("tokens", "languages"):
        return "compare"
    return "tokens"


def _observing(step: Step, seconds: float) -> str:
    what = ("the local model reads the text and answers: 15-40 s on two cores"
            if step.show in MODEL_SHOWS else "counting")
    return f"*observing… {seconds:.0f} s ({what})*"


def _observation_markdown(lines: list[str]) -> str:
    """Observation lines as a wrapped list: a code block would cut them at the panel's edge."""
    def escape(line: str) -> str:
        return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", " ".join(line.split()))

    return "\n".join(f"- {escape(line)}" for line in lines if line.strip())


def _document(step: Step) -> str:
    """What the document pane shows for a step (the messages, for an inline chat)."""
    if step.show == "chat" and step.get("messages") is not None:
        return json.dumps(step.get("messages"), ensure_ascii=False, indent=1)
    if step.show in ("needles", "distance"):
        from ctxlab.core.probes.needles import load_haystack

        return load_haystack()
    if step.show == "scaling":  # the map itself, in the document pane
        from ctxlab.core.scaling_plot import text_plot

        budget = step.get("budget")
        plot = text_plot(float(budget) if budget is not None else None, cols=40, rows=18)
        return "\n".join(line for line in plot if line.lstrip()[:2] not in MAP_KEYS)
    if step.show == "parameters":
        return step.narration
    return step_text(step)


def run_lesson_app(settings: Settings | None, lesson: Lesson | None, start: int = 0,
                   model: str | None = None) -> None:
    """Open the TUI in lesson mode at step ``start`` (the first lesson when none is named),
    ``model`` running the steps that name none."""
    from ctxlab.core.lessons.loader import list_lessons
    from ctxlab.tui.launch import run_app

    run_app(LessonApp(settings, lesson or list_lessons()[0], start, model))
