"""Observations that run the local model: questions under a window strategy, the needle grid.

A numpy 135M model reads a few hundred tokens a second on a laptop, so the
questions of one step share one prefill of template + context, and steps
share prefixes with earlier steps: a truncated prompt starts like the full
one, and a sliding window of W attends exactly like full attention for its
first W slots.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ctxlab.core.lessons.documents import facts_visible, questions, step_text
from ctxlab.core.lessons.loader import Lesson, LessonError, Step
from ctxlab.core.lessons.text_steps import Observed

MAX_ANSWER_TOKENS = 12  # a one-line answer; every extra token is a full decode step


class SharedPrefixes:
    """Filled KV caches of earlier prompts, to fork from instead of recomputing a shared start."""

    def __init__(self, model) -> None:
        self.model = model
        self.filled: list[tuple[np.ndarray, Any, Any]] = []  # (ids, mask, cache)

    def fill(self, ids: np.ndarray, mask):
        """A cache holding exactly ``ids`` run under ``mask`` (kept for later prompts)."""
        best, source = 0, None
        for stored_ids, stored_mask, cache in self.filled:
            shared = min(_common_prefix(stored_ids, ids), _masks_agree(stored_mask, mask))
            if shared > best:
                best, source = shared, cache
        cache = (source.fork(best, extra=len(ids) - best) if source is not None
                 else self.model.runtime.new_cache(len(ids)))
        if len(ids) > best:
            self.model.runtime.forward(ids[best:], cache, mask=mask, outputs_at=None)
        self.filled.append((ids, mask, cache))
        return cache


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def _masks_agree(a, b) -> int:
    """Slots where two masks give every query the same keys (a window W is causal below W)."""
    if a == b:
        return 1 << 62
    return min(w for w in (a.window, b.window) if w is not None)


def load_local_model():
    from ctxlab.core.model.loader import load_model
    from ctxlab.core.model.weights import ModelError

    try:
        return load_model(fetch=False)
    except ModelError as exc:
        raise LessonError(str(exc)) from None


def probe_strategy(step: Step):
    """The step's registry strategy (default ``full``), limited to its ``window``."""
    from ctxlab.core.probes.context import Strategy
    from ctxlab.core.strategies import UnknownStrategy, strategy

    name, window = step.get("strategy", "full"), step.get("window")
    try:
        record = strategy(name)
    except UnknownStrategy as exc:
        raise LessonError(f"step {step.title!r}: {exc}") from None
    if not record.needs_window:
        return Strategy(record.name)
    if not isinstance(window, int):
        raise LessonError(f"step {step.title!r}: strategy {name} needs window = <tokens>")
    return Strategy(record.name, window)


def observe_ask(lesson: Lesson, step: Step, prefixes: SharedPrefixes) -> Observed:
    """The model's greedy answers to the document's questions under the step's strategy."""
    from ctxlab.core.probes.context import answer, answer_found, build_prompt

    model = prefixes.model
    context = step_text(step)
    asked = questions(step.get("document"))
    strategy = probe_strategy(step)
    prompts = [build_prompt(model, context, q.text) for q in asked]
    try:
        views = _views(prompts, strategy)
    except ValueError as exc:
        raise LessonError(f"step {step.title!r}: {exc}") from None
    shared = min(min(_common_prefix(views[0].ids, v.ids), len(v.ids) - 1) for v in views)
    base = prefixes.fill(views[0].ids[:shared], views[0].mask)
    answers: dict[str, Any] = {}
    lines = [f"{_describe(strategy)} · context {len(prompts[0].context):,} tokens"]
    for question, seen in zip(asked, views, strict=True):
        cache = base.fork(shared, extra=len(seen.ids) - shared + MAX_ANSWER_TOKENS + 8)
        hidden = model.runtime.forward(seen.ids[shared:], cache, mask=seen.mask)
        _, text, logprob = answer(model, cache, hidden, seen, expected=question.answer,
                                  max_new_tokens=MAX_ANSWER_TOKENS)
        in_view = facts_visible(lesson.watch, context, seen.seen_chars).get(question.answer)
        recalled = answer_found(question.answer, text)
        answers[question.answer] = {"question": question.text, "answer": text,
                                    "recalled": recalled, "in_view": in_view,
                                    "logprob": round(logprob or 0.0, 2)}
        where = "" if in_view is None else " (fact in view)" if in_view else " (fact cut)"
        lines.append(f"  {question.text:<40} → {text!r:<34} {'✓' if recalled else '✗'} "
                     f"{question.answer}{where}")
    seen_ranges = views[0].seen_tokens
    lines.insert(1, f"  the answer attends to context tokens "
                    f"{', '.join(f'{s:,}–{e:,}' for s, e in seen_ranges)} "
                    f"({len(views[0].ids):,} prompt tokens fed)")
    observation = {"model": model.name, "strategy": strategy.label,
                   "context_tokens": len(prompts[0].context),
                   "prompt_tokens": len(views[0].ids),
                   "seen_tokens": [list(r) for r in seen_ranges], "answers": answers}
    return observation, lines


def _views(prompts: list, strategy) -> list:
    """Each prompt under ``strategy``; truncation cuts the context once, for the longest question.

    Every question then reads the same cut story (one prefill serves them all)
    and each prompt still fits the window.
    """
    from dataclasses import replace

    from ctxlab.core.probes.context import view

    if not strategy.record.cuts_tokens:
        return [view(p, strategy) for p in prompts]
    longest = max(prompts, key=lambda p: len(p.tail_ids))
    cut = view(longest, strategy)
    story = cut.ids[: len(cut.ids) - len(longest.tail_ids)]
    return [replace(cut, ids=np.concatenate([story, p.tail_ids])) for p in prompts]


def _describe(strategy) -> str:
    if strategy.record.cuts_tokens:
        return f"truncated to {strategy.window:,} tokens ({strategy.record.label})"
    if strategy.record.needs_window:
        return f"{strategy.kind} attention window of {strategy.window:,} tokens"
    return "full context"


def observe_needles(lesson: Lesson, step: Step, prefixes: SharedPrefixes) -> Observed:
    """Recall of one needle over depth x haystack length: the grid behind the heatmap."""
    from ctxlab.core.probes.needles import load_haystack, load_needles
    from ctxlab.core.probes.recall import GridSpec, run_needle_grid

    wanted = step.get("needle")
    needle = next((n for n in load_needles() if n.id == wanted), None)
    if needle is None:
        raise LessonError(f"step {step.title!r}: no needle {wanted!r} in the bundled needles.toml")
    depths = tuple(float(d) for d in step.get("depths", (0.0, 0.5, 1.0)))
    lengths = tuple(int(n) for n in step.get("lengths", (256, 512)))
    spec = GridSpec(depths=depths, lengths=lengths, strategies=(probe_strategy(step),),
                    max_new_tokens=16)
    result = run_needle_grid(prefixes.model, spec, [needle], load_haystack())
    by_cell = {(t.depth, t.length): t for t in result.trials}
    grid = [[by_cell[d, n] for n in lengths] for d in depths]
    observation = {
        "needle": needle.id, "answer": needle.answer, "strategy": spec.strategies[0].label,
        "depths": list(depths), "lengths": list(lengths),
        "recalled": [[t.recalled for t in row] for row in grid],
        "logprob": [[round(t.answer_logprob, 2) for t in row] for row in grid],
        "answers": [[t.answer for t in row] for row in grid],
    }
    lines = [f"needle {needle.fact!r}, asked {needle.question!r}",
             "  log P(answer) and ✓ recalled / ✗ missed; columns: haystack tokens",
             "  depth " + "".join(f"{n:>12,}" for n in lengths)]
    for depth, row in zip(depths, grid, strict=True):
        cells = "".join(f"{t.answer_logprob:>10.2f} {'✓' if t.recalled else '✗'}" for t in row)
        lines.append(f"  {depth:>5.0%} {cells}")
    return observation, lines
