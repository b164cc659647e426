"""Lesson files: TOML data describing steps, found in ``ctxlab/lessons/`` or at a path.

A lesson is data, not code, so a teacher can write one without touching
Python and the TUI and ``--print`` replay the very same steps. Each step is
the lesson's ``[defaults]`` overlaid with the step's own keys.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

SHOWS = ("window", "tokens", "languages", "ask", "needles", "chat", "distance", "parameters",
         "scaling")
STEP_KEYS = {
    "title", "narration", "show", "document", "sections", "text", "messages", "tokenizers",
    "window", "strategy", "lengths", "depths", "needle", "expect",
    "model", "models", "needles", "strategies", "distances", "budget",
}
RECORD_SUFFIX = ".record.json"


class LessonError(UserError, ValueError):
    """A lesson cannot be found or is malformed; one line says which and why."""


@dataclass(frozen=True)
class Step:
    title: str
    narration: str
    show: str  # which observation this step makes; one of SHOWS
    settings: dict[str, Any]  # document, tokenizers, window, strategy, ... for this step
    expect: dict[str, Any] = field(default_factory=dict)  # must be a subset of the observation

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


@dataclass(frozen=True)
class Lesson:
    name: str  # file stem, e.g. "dragon-colour"
    number: int
    title: str
    summary: str
    path: Path
    watch: dict[str, list[str]]  # fact name -> phrases whose presence means the fact is visible
    steps: list[Step]

    @property
    def record_path(self) -> Path:
        return self.path.with_name(self.path.stem + RECORD_SUFFIX)


MAX_LESSON_BYTES = 1 << 20


def lessons_dir() -> Path:
    """``ctxlab/lessons/``, shipped inside the package so installs find it."""
    return Path(__file__).resolve().parents[2] / "lessons"


def list_lessons() -> list[Lesson]:
    lessons = [load_lesson_file(path) for path in sorted(lessons_dir().glob("*.toml"))]
    return sorted(lessons, key=lambda lesson: lesson.number)


def load_lesson(name: str) -> Lesson:
    """A bundled lesson by name or number, or a lesson file by path."""
    path = Path(name).expanduser()
    if path.suffix == ".toml" and path.is_file():
        return load_lesson_file(path)
    lessons = list_lessons()
    for lesson in lessons:
        if name in (lesson.name, str(lesson.number)):
            return lesson
    choices = ", ".join(f"{lesson.number} {lesson.name}" for lesson in lessons)
    raise LessonError(f"no lesson {name!r} (choose from: {choices}; or give a .toml path)")


def load_lesson_file(path: Path) -> Lesson:
    from ctxlab.core.textfile import read_text_file

    found = read_text_file(path, max_bytes=MAX_LESSON_BYTES)
    if not found.counted:
        raise LessonError(f"{path}: not a readable lesson file ({found.status}"
                          f"{': ' + found.detail if found.detail else ''})")
    try:
        data = tomllib.loads(found.text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path}: not a readable lesson file ({exc})") from None
    where = path.name
    defaults = _table(data, "defaults", where)
    _check_keys(defaults, f"{where} [defaults]")
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list) or not all(isinstance(r, dict) for r in raw_steps):
        raise LessonError(f"{where}: steps must be [[step]] tables")
    if not raw_steps:
        raise LessonError(f"{where}: a lesson needs at least one [[step]]")
    steps = [_step({**defaults, **raw}, f"{where} step {i + 1}") for i, raw in enumerate(raw_steps)]
    watch: dict[str, list[str]] = {}
    for key, value in _table(data, "watch", where).items():
        listed = [value] if isinstance(value, str) else value
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise LessonError(f"{where}: [watch] {key} must be a string or a list of strings")
        watch[str(key)] = list(listed)
    number = data.get("number", 0)
    if isinstance(number, bool) or not isinstance(number, int):
        raise LessonError(f"{where}: number must be an integer")
    return Lesson(
        name=path.stem, number=number, title=_text(data, "title", where),
        summary=str(data.get("summary", "")).strip(), path=path, watch=watch, steps=steps,
    )


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise LessonError(f"{where}: [{key}] must be a table")
    return value


def _step(raw: dict[str, Any], where: str) -> Step:
    _check_keys(raw, where)
    show = _text(raw, "show", where)
    if show not in SHOWS:
        raise LessonError(f"{where}: show = {show!r} is not one of {', '.join(SHOWS)}")
    settings = {k: v for k, v in raw.items() if k not in ("title", "narration", "show", "expect")}
    return Step(_text(raw, "title", where), str(raw.get("narration", "")).strip(), show, settings,
                _table(raw, "expect", where))


def _check_keys(table: dict[str, Any], where: str) -> None:
    unknown = sorted(set(table) - STEP_KEYS)
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: needs a {key} (a non-empty string)")
    return value.strip()
