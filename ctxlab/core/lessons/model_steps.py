"""Observations that run a local model: questions under a window strategy, needle grids.

A numpy 135M model reads a few hundred tokens a second on a laptop, so the
questions of one step share one prefill of template + context and are decoded
in lockstep, and steps share prefixes with earlier steps (``core.model.prefixes``):
a truncated prompt starts like the full one, and a sliding window of W attends
exactly like full attention for its first W slots. A step names its model
(``model = "gemma3-270m"``; default SmolLM2) or, for a needle grid, several
(``models = [...]``) to compare.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ctxlab.core.lessons.documents import facts_visible, questions, step_text
from ctxlab.core.lessons.loader import Lesson, LessonError, Step
from ctxlab.core.lessons.text_steps import Observed

MAX_ANSWER_TOKENS = 12  # a one-line answer; every extra token is a full decode step


class ModelPool:
    """Each model a lesson uses, loaded once, with its own prefix cache (steps share starts).
    A step that names no model gets ``default`` (``None``: ctxlab's default model)."""

    def __init__(self, default: str | None = None) -> None:
        self.default = default
        self._loaded_models: dict[str | None, tuple[Any, Any]] = {}  # name -> (model, PrefixCache)

    def model(self, name: str | None = None):
        return self._loaded(name)[0]

    def prefixes(self, name: str | None = None):
        return self._loaded(name)[1]

    def _loaded(self, name: str | None) -> tuple[Any, Any]:
        from ctxlab.core.model.prefixes import PrefixCache

        name = name or self.default
        if name not in self._loaded_models:
            model = load_local_model(name)
            self._loaded_models[name] = model, PrefixCache(model.runtime)
        return self._loaded_models[name]


def load_local_model(name: str | None = None):
    from ctxlab.core.model.loader import load_model
    from ctxlab.core.model.weights import ModelError

    try:
        return load_model(name, fetch=False)
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


def observe_ask(lesson: Lesson, step: Step, models: ModelPool) -> Observed:
    """The model's greedy answers to the document's questions under the step's strategy."""
    from ctxlab.core.model.prefixes import common_prefix
    from ctxlab.core.probes.answers import Question, answer_all
    from ctxlab.core.probes.context import answer_found, build_prompt

    model, prefixes = models.model(step.get("model")), models.prefixes(step.get("model"))
    context = step_text(step)
    asked = questions(step.get("document"))
    strategy = _as_trained(probe_strategy(step), step, model)
    prompts = [build_prompt(model, context, q.text) for q in asked]
    try:
        views = _views(prompts, strategy)
    except ValueError as exc:
        raise LessonError(f"step {step.title!r}: {exc}") from None
    shared = min(min(common_prefix(views[0].ids, v.ids), len(v.ids) - 1) for v in views)
    base = prefixes.base(views[0].ids[:shared], views[0].mask)
    replies = answer_all(model, prefixes, base, [Question(v, q.answer) for q, v in
                                                 zip(asked, views, strict=True)],
                         max_new_tokens=MAX_ANSWER_TOKENS)
    answers: dict[str, Any] = {}
    lines = [f"{_describe(strategy)} · context {len(prompts[0].context):,} tokens"]
    for question, seen, reply in zip(asked, views, replies, strict=True):
        text = reply.text
        in_view = facts_visible(lesson.watch, context, seen.seen_chars).get(question.answer)
        recalled = answer_found(question.answer, text)
        answers[question.answer] = {"question": question.text, "answer": text,
                                    "recalled": recalled, "in_view": in_view,
                                    "logprob": round(reply.logprob or 0.0, 2)}
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


def _as_trained(strategy, step: Step, model):
    """A step that names no model and asks for the full text gets it as the model reads it.

    Such a step was written for SmolLM2, where every layer sees everything. Run with
    ``--model gemma3-270m`` it means Gemma's own pattern: forcing its 512-token local
    layers to attend further than they were trained to makes it babble ("of the.\n\nthe.").
    """
    from ctxlab.core.probes.context import Strategy

    trained_local = model.runtime.config.local_window is not None
    if strategy.kind == "full" and trained_local and not step.get("model"):
        return Strategy("native")
    return strategy


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
    return "full context" if strategy.kind == "full" else f"full context, {strategy.record.label}"


def observe_needles(lesson: Lesson, step: Step, models: ModelPool) -> Observed:
    """Recall over depth x haystack length, for one model or side by side for several.

    Every grid also asks each question with no fact in the text; a cell counts
    as recall only where that baseline could not produce the answer.
    """
    from ctxlab.core.probes.needles import load_haystack, load_needles

    wanted = step.get("needles") or [step.get("needle")]
    known = {n.id: n for n in load_needles()}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise LessonError(f"step {step.title!r}: no needle {missing[0]!r} in the bundled "
                          "needles.toml")
    needles = [known[w] for w in wanted]
    depths = tuple(float(d) for d in step.get("depths", (0.0, 0.5, 1.0)))
    lengths = tuple(int(n) for n in step.get("lengths", (256, 512)))
    names = step.get("models") or [step.get("model")]
    grids = {}
    lines = [f"{len(needles)} needle(s): " + ", ".join(f"{n.fact!r}" for n in needles)]
    for name in names:
        model = models.model(name)
        grids[model.name], shown = _grid(model, step, needles, depths, lengths, load_haystack())
        lines += shown
    observation: dict[str, Any] = {"strategy": probe_strategy(step).label,
                                   "depths": list(depths), "lengths": list(lengths)}
    if len(needles) == 1:
        observation |= {"needle": needles[0].id, "answer": needles[0].answer}
    if len(grids) == 1:
        grid = next(iter(grids.values()))
        if len(needles) == 1:  # one needle, one model: the cells say it all
            grid = {k: v for k, v in grid.items() if k in ("recalled", "logprob", "answers")
                    or (k == "guessed" and v)}
        return observation | grid, lines
    observation["models"] = grids
    (a, first), (b, second) = list(grids.items())[:2]
    c = observation["compare"] = _compare(first, second)
    lines.append(f"  cells (needle x depth x length): both {c['both']}, only {b} "
                 f"{c['only_second']}, only {a} {c['only_first']}, neither {c['neither']} "
                 f"(the fact cut from the window in {c['neither_cut']} of those)")
    return observation, lines


def _grid(model, step: Step, needles: list, depths: tuple, lengths: tuple, haystack: str
          ) -> tuple[dict[str, Any], list[str]]:
    """One model's grid: counted recall per cell, with the baseline's answers beside it."""
    from ctxlab.core.probes.recall import GridSpec, run_needle_grid

    spec = GridSpec(depths=depths, lengths=lengths, strategies=(probe_strategy(step),),
                    max_new_tokens=16)
    result = run_needle_grid(model, spec, needles, haystack)
    asked = {(t.needle, t.depth, t.length): t for t in result.trials if not t.baseline}
    guesses = {(t.needle, t.length): t for t in result.trials if t.baseline}
    per_needle = {n.id: [[result.counts(asked[n.id, d, L]) for L in lengths] for d in depths]
                  for n in needles}
    cut = {n.id: [[asked[n.id, d, L].needle_slot < 0 for L in lengths] for d in depths]
           for n in needles}
    grid: dict[str, Any] = {
        "baseline": {f"{n.id}@{L}": guesses[n.id, L].answer for n in needles for L in lengths},
        "guessed": sorted({n.id for n in needles for L in lengths if guesses[n.id, L].recalled}),
        "per_needle": per_needle, "cut": cut,
    }
    lines = [f"  {model.name} · {spec.strategies[0].label} · ✓ recalled (and not guessed "
             "without the fact) / ✗ missed / ✂ fact cut from the window",
             "  columns: haystack tokens; one mark per needle",
             "    depth " + "".join(f"{n:>{2 * len(needles) + 6},}" for n in lengths)]
    for i, depth in enumerate(depths):
        cells = "".join(
            "      " + " ".join("✂" if cut[n.id][i][j] and not per_needle[n.id][i][j]
                                else "✓" if per_needle[n.id][i][j] else "✗" for n in needles)
            for j in range(len(lengths)))
        lines.append(f"    {depth:>5.0%} {cells}")
    if len(needles) == 1:
        only = needles[0].id
        grid["recalled"] = per_needle[only]
        grid["logprob"] = [[round(asked[only, d, L].answer_logprob, 2) for L in lengths]
                           for d in depths]
        grid["answers"] = [[asked[only, d, L].answer for L in lengths] for d in depths]
        for i in range(len(depths)):
            lines[3 + i] += "   log P " + " ".join(f"{v:.2f}" for v in grid["logprob"][i])
    lines.append("    no fact in the text: " + "; ".join(
        f"{key} {answer!r}" for key, answer in grid["baseline"].items()))
    return grid, lines


def _compare(first: dict[str, Any], second: dict[str, Any]) -> dict[str, int]:
    """How two models' counted recall splits over the same cells."""
    counts = {"both": 0, "only_first": 0, "only_second": 0, "neither": 0, "neither_cut": 0}
    for needle, rows in first["per_needle"].items():
        cells = zip(np.ravel(rows), np.ravel(second["per_needle"][needle]),
                    np.ravel(first["cut"][needle]), strict=True)
        for a, b, cut in cells:
            key = "both" if a and b else "only_first" if a else "only_second" if b else "neither"
            counts[key] += 1
            counts["neither_cut"] += int(key == "neither" and bool(cut))
    return counts


def observe_distance(lesson: Lesson, step: Step, models: ModelPool) -> Observed:
    """Recall as the needle moves away from the question, under each of several strategies.

    With Gemma 3, ``native`` (local layers slide over 512 tokens, every sixth
    layer sees everything) against ``sliding`` 512 in every layer shows what
    the global layers carry past the local window.
    """
    from dataclasses import replace

    from ctxlab.core.probes.needles import load_haystack, load_needles
    from ctxlab.core.probes.recall import run_recall_vs_distance

    wanted = step.get("needles") or [step.get("needle")]
    needles = [n for n in load_needles() if n.id in wanted]
    if len(needles) != len(wanted):
        raise LessonError(f"step {step.title!r}: needles must name ids in needles.toml")
    distances = [int(d) for d in step.get("distances", (128, 256, 512, 1024))]
    model = models.model(step.get("model"))
    observation: dict[str, Any] = {"model": model.name, "distances": distances,
                                   "needles": [n.id for n in needles], "recall": {},
                                   "guessed": {}}
    lines = [f"  {model.name}: recall by distance from the needle to the question "
             f"({len(needles)} needles; ✓ recalled, not guessed without the fact)",
             "    strategy           " + "".join(f"{d:>10,}" for d in distances)]
    for name in step.get("strategies", ("native",)):
        strategy = probe_strategy(replace(step, settings={**step.settings, "strategy": name}))
        result = run_recall_vs_distance(model, strategy, distances, needles, load_haystack(),
                                        max_new_tokens=16)
        asked = {(t.needle, t.distance): t for t in result.trials if not t.baseline}
        hits = [sum(result.counts(asked[n.id, d]) for n in needles) for d in distances]
        observation["recall"][strategy.label] = hits
        observation["guessed"][strategy.label] = sorted(
            t.needle for t in result.trials if t.baseline and t.recalled)
        lines.append(f"    {strategy.label:<18} " + "".join(
            f"{h:>7}/{len(needles)} " for h in hits))
    return observation, lines
