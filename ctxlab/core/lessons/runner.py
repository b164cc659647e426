"""Run a lesson headless, step by step, and hold each step's observation to account.

Two checks keep a lesson honest. A step's ``expect`` table states what its
narration claims (e.g. the model says "red" with the dragon in view); it is
checked on every run. A recording (``NAME.record.json`` beside the lesson)
keeps every observation, so ``verify`` notices any change at all: a new
tokenizer version, a different model answer, an edited sample.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxlab.core.lessons.loader import Lesson, LessonError, Step

if TYPE_CHECKING:  # the model stack loads only when a lesson step needs it
    from ctxlab.core.lessons.model_steps import ModelPool

MODEL_SHOWS = ("ask", "needles", "distance")
SCALE_SHOWS = ("parameters", "scaling")
FLOAT_TOLERANCE = 0.05  # log-probabilities may move in the last digits across BLAS builds


@dataclass(frozen=True)
class StepResult:
    index: int
    step: Step
    observation: dict[str, Any]
    lines: list[str]  # what ``--print`` shows
    broken: list[str] = field(default_factory=list)  # ``expect`` claims that did not hold


def needs_model(lesson: Lesson) -> bool:
    return any(step.show in MODEL_SHOWS for step in lesson.steps)


def models_used(lesson: Lesson, default: str | None = None) -> list[str | None]:
    """The local models the lesson's steps run, in order. A step that names none runs
    ``default`` (``None``: ctxlab's default model, SmolLM2)."""
    used: dict[str | None, None] = {}
    for step in lesson.steps:
        if step.show in MODEL_SHOWS:
            used.update(dict.fromkeys(step.get("models") or [step.get("model") or default]))
    return list(used)


def runs_default_model(lesson: Lesson) -> bool:
    """Whether some model step names no model, so a ``--model`` choice changes the lesson."""
    return None in models_used(lesson)


class LessonRun:
    """A lesson being played: steps are observed on demand, once, sharing the model's work.

    The TUI moves back and forth between steps; going back must not rerun the model.
    """

    def __init__(self, lesson: Lesson, model: str | None = None) -> None:
        self.lesson = lesson
        self.model = model  # runs the steps that name no model; None: ctxlab's default
        self._models: ModelPool | None = None
        self._results: dict[int, StepResult] = {}

    def step(self, index: int) -> StepResult:
        if index not in self._results:
            step = self.lesson.steps[index]
            observation, lines = self._observe(step)
            self._results[index] = StepResult(index, step, observation, lines,
                                              unmet(step.expect, observation))
        return self._results[index]

    def _observe(self, step: Step) -> tuple[dict[str, Any], list[str]]:
        if step.show in MODEL_SHOWS:
            from ctxlab.core.lessons import model_steps

            if self._models is None:
                self._models = model_steps.ModelPool(self.model)
            return getattr(model_steps, f"observe_{step.show}")(self.lesson, step, self._models)
        if step.show in SCALE_SHOWS:
            from ctxlab.core.lessons import scale_steps

            return getattr(scale_steps, f"observe_{step.show}")(self.lesson, step)
        from ctxlab.core.lessons import text_steps

        return getattr(text_steps, f"observe_{step.show}")(self.lesson, step)


def run_lesson(lesson: Lesson, model: str | None = None) -> Iterator[StepResult]:
    """Each step's result, in order, as soon as it is known (``model``: see ``LessonRun``)."""
    run = LessonRun(lesson, model)
    for index in range(len(lesson.steps)):
        yield run.step(index)


def unmet(expect: dict[str, Any], observed: Any, path: str = "") -> list[str]:
    """Claims in ``expect`` (a nested subset of the observation) that ``observed`` breaks."""
    if isinstance(expect, dict):
        if not isinstance(observed, dict):
            return [f"{path or 'observation'}: expected a table, got {observed!r}"]
        broken = []
        for key, value in expect.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in observed:
                broken.append(f"{where}: not observed")
            else:
                broken.extend(unmet(value, observed[key], where))
        return broken
    if _same(expect, observed):
        return []
    return [f"{path}: expected {expect!r}, observed {observed!r}"]


def recording(lesson: Lesson, results: list[StepResult]) -> dict[str, Any]:
    return {"lesson": lesson.name, "steps": [
        {"title": r.step.title, "show": r.step.show, "observation": r.observation}
        for r in results]}


def write_recording(lesson: Lesson, results: list[StepResult], path: Path | None = None) -> Path:
    path = path or lesson.record_path
    text = json.dumps(recording(lesson, results), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_recording(lesson: Lesson, path: Path | None = None) -> dict[str, Any]:
    path = path or lesson.record_path
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LessonError(f"{lesson.name} has no recording at {path}: run with --record") from None
    except (OSError, ValueError) as exc:
        raise LessonError(f"{path}: not a readable recording ({exc})") from None


def differences(recorded: dict[str, Any], result: StepResult) -> list[str]:
    """How ``result`` differs from the recording of the same step (empty when it replays)."""
    steps = recorded.get("steps", [])
    if result.index >= len(steps) or steps[result.index].get("title") != result.step.title:
        return [f"step {result.index + 1} ({result.step.title}) is not in the recording"]
    return _diff(steps[result.index].get("observation"), result.observation, "")


def _diff(recorded: Any, observed: Any, path: str) -> list[str]:
    if isinstance(recorded, dict) and isinstance(observed, dict):
        out = []
        for key in sorted(set(recorded) | set(observed)):
            where = f"{path}.{key}" if path else key
            if key not in observed or key not in recorded:
                out.append(f"{where}: {'gone' if key not in observed else 'new'}")
            else:
                out.extend(_diff(recorded[key], observed[key], where))
        return out
    if isinstance(recorded, list) and isinstance(observed, list) and len(recorded) == len(observed):
        return [d for i, (a, b) in enumerate(zip(recorded, observed, strict=True))
                for d in _diff(a, b, f"{path}[{i}]")]
    return [] if _same(recorded, observed) else [f"{path}: recorded {recorded!r}, now {observed!r}"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, int | float) and isinstance(b, int | float)
                and not isinstance(a, bool) and not isinstance(b, bool)
                and abs(a - b) <= FLOAT_TOLERANCE)
    if isinstance(a, list) and isinstance(b, list):  # e.g. expect = { seen = [[0, 12]] }
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
