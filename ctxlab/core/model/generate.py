"""Greedy decoding with a KV cache, sped up by prompt-lookup drafts that are verified exactly.

Answers about a context mostly copy from it. After each token we look up the
last two tokens in the prompt and propose the tokens that followed them
there; one forward pass checks the whole draft, and we keep exactly the prefix
greedy decoding would have produced. The output is plain greedy decoding, in a
few passes instead of one per token (each pass reads all the weights once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import CAUSAL, KVCache, Transformer

DRAFT_TOKENS = 8
LOOKUP_NGRAM = 2


@dataclass(frozen=True)
class Generation:
    ids: list[int]
    stopped: str  # "stop-token" | "max-tokens" | "until"
    passes: int  # forward passes spent (a measure of what drafting saved)


def greedy(runtime: Transformer, cache: KVCache, last_hidden: np.ndarray, *,
           mask: AttentionMask = CAUSAL, max_new_tokens: int = 32,
           stop_ids: Sequence[int] | set[int] = (),
           until: Callable[[list[int]], bool] | None = None,
           lookup: Sequence[int] | np.ndarray = ()) -> Generation:
    """Continue greedily from ``cache``, whose last output row is ``last_hidden``.

    ``until(ids)`` ends generation once it holds (e.g. "the answer appeared");
    ``lookup`` is the text to draft from (usually the prompt ids). The cache
    is left holding the prompt plus a prefix of the emitted tokens.
    """
    source = np.asarray(lookup, dtype=np.int64)
    logits = runtime.logits(np.atleast_2d(last_hidden))[-1]
    out: list[int] = []
    passes = 0
    while True:
        token = int(np.argmax(logits))
        if token in stop_ids:
            return Generation(out, "stop-token", passes)
        out.append(token)
        if until is not None and until(out):
            return Generation(out, "until", passes)
        if len(out) >= max_new_tokens:
            return Generation(out, "max-tokens", passes)
        draft = propose(np.concatenate([source, out]), max_new_tokens - len(out))
        start = cache.length
        rows = runtime.logits(runtime.forward([token, *draft], cache, mask=mask,
                                              outputs_at=slice(None)))
        passes += 1
        accepted = 0
        for guess, row in zip(draft, rows, strict=False):
            if int(np.argmax(row)) != guess or guess in stop_ids:
                break
            out.append(guess)
            accepted += 1
            if until is not None and until(out):
                cache.truncate(start + 1 + accepted)
                return Generation(out, "until", passes)
        cache.truncate(start + 1 + accepted)
        if len(out) >= max_new_tokens:
            return Generation(out, "max-tokens", passes)
        logits = rows[accepted]


def propose(ids: np.ndarray, limit: int, ngram: int = LOOKUP_NGRAM,
            size: int = DRAFT_TOKENS) -> list[int]:
    """The tokens that followed the latest earlier occurrence of ``ids``' last ``ngram`` tokens."""
    size = min(size, limit)
    if len(ids) <= ngram or size <= 0:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(ids[:-1], ngram)
    hits = np.flatnonzero((windows == ids[-ngram:]).all(axis=1))
    if not hits.size:
        return []
    follow = int(hits[-1]) + ngram
    return [int(t) for t in ids[follow : follow + size]]
