"""Many questions answered at once: each prompt prefilled from the shared prefix, then all
decoded in lockstep.

One prompt decodes at the speed of reading the weights once per token; a batch
reads them once per step for every prompt (``core.model.batch``). Each prompt's
prefill also scores the expected answer (teacher-forced, the same log P that
``context.continuation_logprob`` gives) in the same pass, so the batch needs no
second pass per prompt afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ctxlab.core.model.batch import Lane, greedy_batch
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.model.prefixes import Filled, PrefixCache, common_prefix
from ctxlab.core.probes.context import View, answer_found, continuation_ids


@dataclass(frozen=True)
class Question:
    """One prompt to answer; with ``expected``, decoding stops once it appears, and its
    log-probability after ``stem`` (e.g. "The password is") is measured."""

    view: View
    expected: str | None = None
    stem: str = ""


@dataclass(frozen=True)
class Reply:
    text: str
    ids: list[int]
    stopped: str
    logprob: float | None  # log P(expected | prompt + stem); None without ``expected``


def answer_all(model: LocalModel, prefixes: PrefixCache, base: Filled,
               questions: Sequence[Question], *, max_new_tokens: int,
               should_cancel: Callable[[], bool] | None = None) -> list[Reply]:
    """Greedy replies to ``questions``, whose prompts all run under ``base.mask`` and share
    whatever start they have with ``base`` (e.g. the template and the needle-free haystack)."""
    runtime, tok = model.runtime, model.tokenizer
    lanes, hidden = [], []
    logprobs: list[float | None] = []
    untils: list[Callable[[list[int]], bool] | None] = []
    for question in questions:
        ids = question.view.ids
        if question.view.mask != base.mask:
            raise ValueError("every question in a batch must use the base's attention mask")
        scored, n_stem = ([], 0) if question.expected is None else continuation_ids(
            tok, question.view.answer_lead + question.stem, question.expected)
        fed = np.concatenate([ids, np.asarray(scored[:-1], dtype=np.int64)])
        cache, rows = prefixes.fill(fed, base.mask, rows_from=len(ids) - 1,
                                    should_cancel=should_cancel)
        hidden.append(rows[:1])
        if question.expected is None:
            logprobs.append(None)
            untils.append(None)
        else:
            picked, _ = runtime.target_logprobs(rows[n_stem:], scored[n_stem:])
            logprobs.append(float(picked.sum()))
            untils.append(_until_found(model, question.expected))
        shared = min(common_prefix(base.ids, ids), base.cache.length)
        lanes.append(Lane.from_cache(cache, shared, len(ids), max_new_tokens))
    if not lanes:
        return []
    generations = greedy_batch(runtime, base.cache, lanes, np.vstack(hidden), mask=base.mask,
                               max_new_tokens=max_new_tokens, stop_ids=model.stop_ids(),
                               until=untils, should_cancel=should_cancel)
    return [Reply(tok.decode(gen.ids).strip(), gen.ids, gen.stopped, logprob)
            for gen, logprob in zip(generations, logprobs, strict=True)]


def _until_found(model: LocalModel, expected: str) -> Callable[[list[int]], bool]:
    def found(ids: list[int]) -> bool:
        return answer_found(expected, model.tokenizer.decode(ids))

    return found
