"""Needle-in-a-haystack probes: a grid of depth x length x strategy, and recall vs distance.

Both are generators of progress events, so a TUI worker can show progress and
stop early (``should_cancel``); ``run_*`` helpers collect the final result.
Runs are deterministic (greedy decoding) and record their settings.

Every run also asks each question with no fact in the text at all (the
no-needle baseline): a base model can know that dragons are often red, so a
cell counts as recall only where the model could not answer without the fact.

Speed: prompts for one mask share their longest common token prefix through a
forked KV cache (the haystack before the needle is computed once per mask),
and a strategy whose window holds the whole prompt reuses the full-context result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np

from ctxlab.core.errors import ProbeError
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import Cancelled, KVCache
from ctxlab.core.probes.context import Strategy, answer, answer_found, build_prompt, view
from ctxlab.core.probes.needles import Haystack, Needle

ShouldCancel = Callable[[], bool]


@dataclass(frozen=True)
class GridSpec:
    depths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    lengths: tuple[int, ...] = (256, 512, 1024, 2048)
    strategies: tuple[Strategy, ...] = (Strategy(),)
    max_new_tokens: int = 32
    chat: bool = True
    baseline: bool = True  # also ask each needle's question with no fact in the text

    def __post_init__(self) -> None:
        if not self.lengths or min(self.lengths) < 1:
            raise ProbeError("recall lengths must be at least 1 token")
        if not self.depths or not all(0.0 <= d <= 1.0 for d in self.depths):
            raise ProbeError("recall depths must lie between 0 and 100 %")


@dataclass(frozen=True)
class Trial:
    """One prompt's outcome: was the needle's answer in the greedy reply, and how likely was it."""

    needle: str
    strategy: str
    recalled: bool
    answer: str
    answer_logprob: float
    prompt_tokens: int
    needle_slot: int  # where the needle's first token sits in the prompt fed (-1: truncated away)
    needle_seen: bool  # did the answering position attend to the needle directly?
    depth: float | None = None
    length: int | None = None
    distance: int | None = None  # tokens from the needle's end to the answering position
    baseline: bool = False  # asked with no fact in the text: can the model guess the answer?


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    trial: Trial


@dataclass
class RecallResult:
    kind: str  # "grid" | "distance"
    settings: dict
    trials: list[Trial] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def guessed(self, trial: Trial) -> bool:
        """Did the model give ``trial``'s answer with no fact in the text (same needle and
        strategy, and the same length where the baseline has one)?"""
        return any(b.recalled for b in self.trials if b.baseline and b.needle == trial.needle
                   and b.strategy == trial.strategy and b.length in (None, trial.length))

    def counts(self, trial: Trial) -> bool:
        """Recall that counts: the answer came back, and the baseline could not guess it."""
        return trial.recalled and not self.guessed(trial)

    def rate(self, strategy: str | None = None, **where: object) -> float:
        """Fraction of counted recalls among needle trials matching ``strategy`` and ``where``."""
        hits = [self.counts(t) for t in self.trials
                if not t.baseline and (strategy is None or t.strategy == strategy)
                and all(getattr(t, k) == v for k, v in where.items())]
        return float(np.mean(hits)) if hits else float("nan")

    def matrix(self, strategy: str) -> np.ndarray:
        """Grid recall rates ``(depths, lengths)`` for one strategy (NaN where not run)."""
        depths, lengths = self.settings["depths"], self.settings["lengths"]
        return np.array([[self.rate(strategy, depth=d, length=n) for n in lengths] for d in depths])

    def to_json(self) -> dict:
        return {"kind": self.kind, "settings": self.settings, "cancelled": self.cancelled,
                "seconds": round(self.seconds, 3), "trials": [asdict(t) for t in self.trials]}


class _PrefixRunner:
    """Runs prompts under one mask, forking the KV cache of the longest shared token prefix.

    It keeps two caches to fork from: the primed one (template + needle-free
    haystack, shared by every depth) and the last prompt run (shared by the same
    document with a shorter tail, as in recall vs distance).
    """

    def __init__(self, model: LocalModel, mask: AttentionMask, reserve: int,
                 should_cancel: ShouldCancel | None) -> None:
        self.model, self.mask, self.reserve = model, mask, reserve
        self.should_cancel = should_cancel
        self.primed: tuple[np.ndarray, KVCache] | None = None
        self.last: tuple[np.ndarray, KVCache] | None = None

    def prime(self, ids: np.ndarray) -> None:
        """Fill the shared cache with ``ids`` (e.g. the template and the needle-free haystack)."""
        cache = self.model.runtime.new_cache(len(ids))
        self.model.runtime.forward(ids, cache, mask=self.mask, outputs_at=None,
                                   should_cancel=self.should_cancel)
        self.primed = (np.asarray(ids), cache)

    def run(self, ids: np.ndarray) -> tuple[KVCache, np.ndarray]:
        """Fill a fresh cache with ``ids``; return it and the last position's hidden state."""
        shared, source = 0, None
        for stored in (self.primed, self.last):
            if stored is not None:
                common = _common_prefix(stored[0], ids, limit=len(ids) - 1)
                if common > shared:
                    shared, source = common, stored[1]
        if source is not None:
            cache = source.fork(shared, extra=len(ids) - shared + self.reserve)
        else:
            cache = self.model.runtime.new_cache(len(ids) + self.reserve)
        hidden = self.model.runtime.forward(ids[shared:], cache, mask=self.mask,
                                            should_cancel=self.should_cancel)
        self.last = (ids, cache)  # answering only appends after len(ids)
        return cache, hidden


def _common_prefix(a: np.ndarray, b: np.ndarray, limit: int) -> int:
    n = min(len(a), len(b), max(limit, 0))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


class _Session:
    """State shared by one probe run: prefix runners per mask and results by what the model saw."""

    def __init__(self, model: LocalModel, haystack: Haystack, prime_tokens: int, chat: bool,
                 max_new_tokens: int, should_cancel: ShouldCancel | None) -> None:
        self.model, self.haystack, self.prime_tokens = model, haystack, prime_tokens
        self.chat, self.max_new_tokens = chat, max_new_tokens
        self.should_cancel = should_cancel
        self.runners: dict[AttentionMask, _PrefixRunner] = {}
        self.outcomes: dict[tuple, tuple[bool, str, float]] = {}

    def runner(self, mask: AttentionMask, head_ids: np.ndarray) -> _PrefixRunner:
        """The runner for ``mask``, primed with the template head and needle-free haystack."""
        if mask not in self.runners:
            runner = _PrefixRunner(self.model, mask, self.max_new_tokens + 16, self.should_cancel)
            runner.prime(np.concatenate([head_ids, self.haystack.spans.ids[: self.prime_tokens]]))
            self.runners[mask] = runner
        return self.runners[mask]

    def trial(self, needle: Needle, document: str, strategy: Strategy, **where) -> Trial:
        """Ask ``needle``'s question about ``document`` (which lacks the fact in a baseline)."""
        prompt = build_prompt(self.model, document, needle.question, chat=self.chat)
        seen = view(prompt, strategy)
        key = (seen.ids.tobytes(), seen.mask, needle.answer)
        if key not in self.outcomes:
            cache, hidden = self.runner(seen.mask, prompt.head_ids).run(seen.ids)
            stem = needle.fact[: max(needle.fact.find(needle.answer), 0)]
            _, text, logprob = answer(self.model, cache, hidden, seen, expected=needle.answer,
                                      stem=stem, max_new_tokens=self.max_new_tokens)
            self.outcomes[key] = (answer_found(needle.answer, text), text, float(logprob or 0.0))
        recalled, text, logprob = self.outcomes[key]
        if where.get("baseline"):
            return Trial(needle.id, strategy.label, recalled, text, logprob, len(seen.ids),
                         -1, False, **where)
        first = prompt.context.token_index_at_char(document.index(needle.fact))
        return Trial(needle.id, strategy.label, recalled, text, logprob, len(seen.ids),
                     seen.slot_of(first), seen.sees(first), **where)


def _settings(model: LocalModel, kind: str, needles: Sequence[Needle], chat: bool,
              max_new_tokens: int, **extra) -> dict:
    return {"kind": kind, "model": model.name, "model_source": model.config.source,
            "decoding": "greedy", "chat_template": chat and model.is_chatml,
            "max_new_tokens": max_new_tokens, "needles": [n.id for n in needles], **extra}


def _drive(result: RecallResult, jobs: Sequence[Callable[[], Trial]],
           should_cancel: ShouldCancel | None) -> Iterator[Progress]:
    started = time.perf_counter()
    try:
        for job in jobs:
            if should_cancel is not None and should_cancel():
                result.cancelled = True
                break
            trial = job()
            result.trials.append(trial)
            result.seconds = time.perf_counter() - started
            yield Progress(len(result.trials), len(jobs), trial)
    except Cancelled:
        result.cancelled = True
    result.seconds = time.perf_counter() - started


def iter_needle_grid(model: LocalModel, spec: GridSpec, needles: Sequence[Needle], haystack: str,
                     result: RecallResult, *, should_cancel: ShouldCancel | None = None,
                     ) -> Iterator[Progress]:
    """Fill ``result`` (see ``new_grid_result``) trial by trial, yielding progress after each."""
    hay = Haystack(haystack, model.tokenizer, max(spec.lengths))
    session = _Session(model, hay, max(spec.lengths), spec.chat, spec.max_new_tokens, should_cancel)
    def job(needle: Needle, depth: float, length: int, strategy: Strategy) -> Trial:
        document = hay.at_depth(needle.fact, depth, length)
        return session.trial(needle, document, strategy, depth=depth, length=length)

    def baseline(needle: Needle, length: int, strategy: Strategy) -> Trial:
        return session.trial(needle, hay.filler(length), strategy, length=length, baseline=True)

    jobs = [partial(job, n, d, L, s)
            for s in spec.strategies for L in spec.lengths for n in needles for d in spec.depths]
    if spec.baseline:
        jobs += [partial(baseline, n, L, s)
                 for s in spec.strategies for L in spec.lengths for n in needles]
    yield from _drive(result, jobs, should_cancel)


def new_grid_result(model: LocalModel, spec: GridSpec, needles: Sequence[Needle]) -> RecallResult:
    return RecallResult("grid", _settings(
        model, "grid", needles, spec.chat, spec.max_new_tokens, depths=list(spec.depths),
        lengths=list(spec.lengths), strategies=[s.label for s in spec.strategies],
        baseline=spec.baseline))


def run_needle_grid(model: LocalModel, spec: GridSpec, needles: Sequence[Needle], haystack: str, *,
                    progress: Callable[[Progress], None] | None = None,
                    should_cancel: ShouldCancel | None = None) -> RecallResult:
    """The whole grid (or as much as ran before ``should_cancel`` said stop)."""
    result = new_grid_result(model, spec, needles)
    events = iter_needle_grid(model, spec, needles, haystack, result, should_cancel=should_cancel)
    for event in events:
        if progress is not None:
            progress(event)
    return result


def run_recall_vs_distance(model: LocalModel, strategy: Strategy, distances: Sequence[int],
                           needles: Sequence[Needle], haystack: str, *, lead: int = 64,
                           max_new_tokens: int = 32, chat: bool = True,
                           progress: Callable[[Progress], None] | None = None,
                           should_cancel: ShouldCancel | None = None) -> RecallResult:
    """Recall as the needle moves ``distance`` tokens before the answer (past the window W)."""
    result = RecallResult("distance", _settings(
        model, "distance", needles, chat, max_new_tokens, strategy=strategy.label,
        distances=list(distances), lead=lead))
    hay = Haystack(haystack, model.tokenizer, lead + max(distances))
    session = _Session(model, hay, lead, chat, max_new_tokens, should_cancel)

    def job(needle: Needle, distance: int) -> Trial:
        tail = len(build_prompt(model, "", needle.question, chat=chat).tail_ids)
        document = hay.document(needle.fact, lead, max(distance - tail, 0))
        return session.trial(needle, document, strategy, distance=distance)

    def baseline(needle: Needle) -> Trial:
        return session.trial(needle, hay.filler(lead + max(distances)), strategy, baseline=True)

    longest_first = sorted(distances, reverse=True)  # shorter tails then share the longer prefix
    jobs = [partial(job, n, d) for n in needles for d in longest_first]
    jobs += [partial(baseline, n) for n in needles]
    for event in _drive(result, jobs, should_cancel):
        if progress is not None:
            progress(event)
    return result
