"""The text a lesson step looks at: a sample, some of its sections, or inline text.

Samples that quiz a reader end with a ``## Questions`` list and an answer key
in an HTML comment; the key is stripped before any tokenizer or model sees the
story, and the questions are offered separately so a step can ask them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ctxlab.core.lessons.loader import LessonError, Step
from ctxlab.core.samples import get_sample

ANSWER_KEY = re.compile(r"\s*<!--\s*answers:(?P<answers>.*?)-->\s*", re.DOTALL)
HEADING = re.compile(r"^## +(?P<name>.+?)\s*$", re.MULTILINE)
NUMBERED = re.compile(r"^\s*\d+\.\s+(?P<question>.+?)\s*$", re.MULTILINE)
PREAMBLE = "title"  # the name of the text before the first ``##`` heading


@dataclass(frozen=True)
class Question:
    text: str
    answer: str


@dataclass(frozen=True)
class Section:
    name: str
    start: int  # char range in the text
    end: int


def sample_text(name: str) -> str:
    """A bundled sample's text without its answer key."""
    try:
        raw = get_sample(name).path.read_text(encoding="utf-8")
    except KeyError as exc:
        raise LessonError(str(exc.args[0])) from None
    return ANSWER_KEY.sub("\n", raw).rstrip() + "\n"


def step_text(step: Step) -> str:
    """The document a step sets: inline ``text``, or a sample (optionally only ``sections``)."""
    if step.get("text") is not None:
        return str(step.get("text"))
    name = step.get("document")
    if not name:
        raise LessonError(f"step {step.title!r} sets neither text nor document")
    text = sample_text(name)
    wanted = step.get("sections")
    if not wanted:
        return text
    by_name = {s.name: s for s in sections(text)}
    missing = [w for w in wanted if w not in by_name]
    if missing:
        raise LessonError(f"{name} has no section(s) {', '.join(missing)} "
                          f"(it has: {', '.join(by_name)})")
    return "".join(text[by_name[w].start:by_name[w].end] for w in wanted).strip() + "\n"


def sections(text: str) -> list[Section]:
    """The ``##`` sections of ``text``, plus the preamble before the first one if not blank."""
    heads = list(HEADING.finditer(text))
    starts = [0] + [m.start() for m in heads]
    names = [PREAMBLE] + [m.group("name") for m in heads]
    ends = starts[1:] + [len(text)]
    found = [Section(n, s, e) for n, s, e in zip(names, starts, ends, strict=True)]
    return [s for s in found if s.name != PREAMBLE or text[s.start:s.end].strip()]


def questions(sample: str) -> list[Question]:
    """The numbered questions of a sample's ``## Questions`` section, paired with its answer key."""
    try:
        raw = get_sample(sample).path.read_text(encoding="utf-8")
    except KeyError as exc:
        raise LessonError(str(exc.args[0])) from None
    key = ANSWER_KEY.search(raw)
    quiz = next((s for s in sections(raw) if s.name == "Questions"), None)
    if key is None or quiz is None:
        raise LessonError(f"{sample} has no ## Questions section with an answer key")
    asked = [m.group("question") for m in NUMBERED.finditer(raw, quiz.start, key.start())]
    answers = [a.strip() for a in key.group("answers").split("|")]
    if len(asked) != len(answers):
        raise LessonError(f"{sample}: {len(asked)} questions but {len(answers)} answers")
    return [Question(q, a) for q, a in zip(asked, answers, strict=True)]


def facts_visible(watch: dict[str, list[str]], text: str,
                  kept_chars: list[tuple[int, int]]) -> dict[str, bool]:
    """For each watched fact: is one of its phrases wholly inside a kept char range?"""
    seen = {}
    for fact, phrases in watch.items():
        places = [(m.start(), m.end()) for p in phrases for m in re.finditer(re.escape(p), text)]
        seen[fact] = any(a <= s and e <= b for s, e in places for a, b in kept_chars)
    return seen


def section_coverage(text: str, kept_chars: list[tuple[int, int]]) -> dict[str, str]:
    """Each section as ``whole``, ``part`` or ``gone`` given the kept char ranges."""
    coverage = {}
    for section in sections(text):
        body = text[section.start:section.end]
        lo = section.start + len(body) - len(body.lstrip())  # ignore blank lines around it
        hi = section.start + len(body.rstrip())
        kept = sum(max(0, min(b, hi) - max(a, lo)) for a, b in kept_chars)
        coverage[section.name] = "whole" if kept >= hi - lo else "part" if kept else "gone"
    return coverage
