"""Needle-in-a-haystack probes: a grid of depth x length x strategy, and recall vs distance.

Both are generators of progress events, so a TUI worker can show progress and
stop early (``should_cancel``); ``run_*`` helpers collect the final result.
Runs are deterministic (greedy decoding) and record their settings.

Every run also asks each question with no fact in the text at all (the
no-needle baseline): a base model can know that dragons are often red, so a
cell counts as recall only where the model could not answer without the fact.

Speed: prompts for one mask share their longest common token prefix through a
forked KV cache (the haystack before the needle is computed once per mask), a
strategy whose window holds the whole prompt reuses the full-context result,
and up to ``LANES`` trials decode in lockstep, one matrix product per weight per
step, each reading the shared haystack's keys from one base cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ctxlab.core.errors import ProbeError
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.prefixes import Filled, PrefixCache
from ctxlab.core.model.runtime import Cancelled
from ctxlab.core.probes.answers import Question, answer_all
from ctxlab.core.probes.context import Prompt, Strategy, View, answer_found, build_prompt, view
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


LANES = 16  # trials decoded in lockstep: more share each read of the weights; fewer report sooner
LANE_BUDGET = 512 << 20  # bytes of keys and values one batch of trials may hold


@dataclass(frozen=True)
class _Ask:
    """One trial to run: ``needle``'s question about ``document`` (no fact in a baseline)."""

    needle: Needle
    document: str
    strategy: Strategy
    where: dict


class _Session:
    """State shared by one probe run: the prefix cache, one base per mask (template +
    needle-free haystack), and outcomes by what the model saw (equal views run once)."""

    def __init__(self, model: LocalModel, haystack: Haystack, prime_tokens: int, chat: bool,
                 max_new_tokens: int, should_cancel: ShouldCancel | None) -> None:
        self.model, self.haystack, self.prime_tokens = model, haystack, prime_tokens
        self.chat, self.max_new_tokens = chat, max_new_tokens
        self.should_cancel = should_cancel
        self.prefixes = PrefixCache(model.runtime)
        self.bases: dict[AttentionMask, Filled] = {}
        self.outcomes: dict[tuple, tuple[bool, str, float]] = {}
        a = model.config.arch
        self.kv_bytes_per_token = 2 * 4 * a.n_layers * a.n_kv_heads * a.head_dim

    def batches(self, asks: Sequence[_Ask]) -> Iterator[list[tuple[_Ask, Prompt, View]]]:
        """Runs of consecutive asks small enough to decode together."""
        batch: list[tuple[_Ask, Prompt, View]] = []
        held = 0
        for ask in asks:
            prompt = build_prompt(self.model, ask.document, ask.needle.question, chat=self.chat)
            seen = view(prompt, ask.strategy)
            size = (len(seen.ids) + self.max_new_tokens) * self.kv_bytes_per_token
            if batch and (len(batch) == LANES or held + size > LANE_BUDGET):
                yield batch
                batch, held = [], 0
            batch.append((ask, prompt, seen))
            held += size
        if batch:
            yield batch

    def trials(self, batch: Sequence[tuple[_Ask, Prompt, View]]) -> list[Trial]:
        """Answer a batch (new views in lockstep, one lockstep per mask) and make its trials."""
        todo: dict[tuple, tuple[Question, np.ndarray]] = {}
        for ask, prompt, seen in batch:
            key = _outcome_key(seen, ask.needle)
            if key not in self.outcomes and key not in todo:
                stem = ask.needle.fact[: max(ask.needle.fact.find(ask.needle.answer), 0)]
                todo[key] = Question(seen, ask.needle.answer, stem), prompt.head_ids
        for mask in dict.fromkeys(question.view.mask for question, _ in todo.values()):
            keys = [key for key, (question, _) in todo.items() if question.view.mask == mask]
            head_ids = todo[keys[0]][1]
            replies = answer_all(self.model, self.prefixes, self.base(mask, head_ids),
                                 [todo[key][0] for key in keys],
                                 max_new_tokens=self.max_new_tokens,
                                 should_cancel=self.should_cancel)
            for key, reply, in zip(keys, replies, strict=True):
                expected = todo[key][0].expected or ""
                self.outcomes[key] = (answer_found(expected, reply.text), reply.text,
                                      float(reply.logprob or 0.0))
        return [self._trial(ask, prompt, seen) for ask, prompt, seen in batch]

    def base(self, mask: AttentionMask, head_ids: np.ndarray) -> Filled:
        """The template head and needle-free haystack under ``mask``, filled once."""
        if mask not in self.bases:
            ids = np.concatenate([head_ids, self.haystack.spans.ids[: self.prime_tokens]])
            self.bases[mask] = self.prefixes.base(ids, mask, should_cancel=self.should_cancel)
        return self.bases[mask]

    def _trial(self, ask: _Ask, prompt: Prompt, seen: View) -> Trial:
        recalled, text, logprob = self.outcomes[_outcome_key(seen, ask.needle)]
        needle, label = ask.needle, ask.strategy.label
        if ask.where.get("baseline"):
            return Trial(needle.id, label, recalled, text, logprob, len(seen.ids), -1, False,
                         **ask.where)
        first = prompt.context.token_index_at_char(ask.document.index(needle.fact))
        return Trial(needle.id, label, recalled, text, logprob, len(seen.ids),
                     seen.slot_of(first), seen.sees(first), **ask.where)


def _outcome_key(seen: View, needle: Needle) -> tuple:
    return seen.ids.tobytes(), seen.mask, needle.answer


def _settings(model: LocalModel, kind: str, needles: Sequence[Needle], chat: bool,
              max_new_tokens: int, **extra) -> dict:
    return {"kind": kind, "model": model.name, "model_source": model.config.source,
            "decoding": "greedy", "chat_template": chat and model.is_chatml,
            "max_new_tokens": max_new_tokens, "needles": [n.id for n in needles], **extra}


def _drive(result: RecallResult, session: _Session, asks: Sequence[_Ask],
           should_cancel: ShouldCancel | None) -> Iterator[Progress]:
    started = time.perf_counter()
    try:
        for batch in session.batches(asks):
            if should_cancel is not None and should_cancel():
                result.cancelled = True
                break
            for trial in session.trials(batch):
                result.trials.append(trial)
                result.seconds = time.perf_counter() - started
                yield Progress(len(result.trials), len(asks), trial)
    except Cancelled:
        result.cancelled = True
    result.seconds = time.perf_counter() - started


def iter_needle_grid(model: LocalModel, spec: GridSpec, needles: Sequence[Needle], haystack: str,
                     result: RecallResult, *, should_cancel: ShouldCancel | None = None,
                     ) -> Iterator[Progress]:
    """Fill ``result`` (see ``new_grid_result``) trial by trial, yielding progress after each."""
    hay = grid_haystack(model, spec, haystack)
    session = _Session(model, hay, max(spec.lengths), spec.chat, spec.max_new_tokens, should_cancel)
    asks = [_Ask(n, hay.at_depth(n.fact, d, L), s, {"depth": d, "length": L})
            for s in spec.strategies for L in spec.lengths for n in needles for d in spec.depths]
    if spec.baseline:
        asks += [_Ask(n, hay.filler(L), s, {"length": L, "baseline": True})
                 for s in spec.strategies for L in spec.lengths for n in needles]
    yield from _drive(result, session, asks, should_cancel)


def grid_haystack(model: LocalModel, spec: GridSpec, haystack: str) -> Haystack:
    """The haystack a grid cuts its documents from (the TUI shows cells from the same one)."""
    return Haystack(haystack, model.tokenizer, max(spec.lengths))


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

    tail = {n.id: len(build_prompt(model, "", n.question, chat=chat).tail_ids) for n in needles}
    longest_first = sorted(distances, reverse=True)  # shorter tails then share the longer prefix
    asks = [_Ask(n, hay.document(n.fact, lead, max(d - tail[n.id], 0)), strategy, {"distance": d})
            for n in needles for d in longest_first]
    asks += [_Ask(n, hay.filler(lead + max(distances)), strategy, {"baseline": True})
             for n in needles]
    for event in _drive(result, session, asks, should_cancel):
        if progress is not None:
            progress(event)
    return result
