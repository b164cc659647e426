"""Filled KV caches kept to fork from, so prompts that start alike compute that start once.

The needle grid's prompts share the template and the haystack before the
needle; a lesson's questions share their story; a truncated prompt starts like
the full one. ``PrefixCache.fill`` finds the longest start that an earlier fill
already computed, under an attention mask that gives those slots the same keys
(a sliding window of W attends like full attention for its first W slots),
copies it and runs only the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import KVCache, Transformer


@dataclass(frozen=True)
class Filled:
    """A cache whose first ``len(ids)`` slots hold ``ids`` run under ``mask``."""

    ids: np.ndarray
    mask: AttentionMask
    cache: KVCache


class PrefixCache:
    """Fills kept for the whole run (templates, haystacks, stories) plus the latest one
    (the next prompt often extends it, as in recall by distance)."""

    def __init__(self, runtime: Transformer) -> None:
        self.runtime = runtime
        self.kept: list[Filled] = []
        self.latest: Filled | None = None

    def fill(self, ids: np.ndarray, mask: AttentionMask, *, rows_from: int | None = None,
             extra: int = 0, keep: bool = False,
             should_cancel: Callable[[], bool] | None = None) -> tuple[KVCache, np.ndarray]:
        """A new cache holding ``ids`` under ``mask``, with room for ``extra`` more slots,
        and the final hidden states of rows ``rows_from:`` (none if ``rows_from`` is None).

        ``keep`` holds on to it for every later fill; otherwise it is only the latest.
        """
        ids = np.asarray(ids, dtype=np.int64)
        limit = len(ids) if rows_from is None else rows_from
        shared, source = self.shared(ids, mask, limit)
        if source is None:
            cache = self.runtime.new_cache(len(ids) + extra)
        else:
            cache = source.cache.fork(shared, extra=len(ids) - shared + extra)
        outputs = None if rows_from is None else slice(rows_from - shared, None)
        hidden = self.runtime.forward(ids[shared:], cache, mask=mask, outputs_at=outputs,
                                      should_cancel=should_cancel)
        filled = Filled(ids, mask, cache)
        if keep:
            self.kept.append(filled)
        else:
            self.latest = filled
        return cache, hidden

    def base(self, ids: np.ndarray, mask: AttentionMask,
             should_cancel: Callable[[], bool] | None = None) -> Filled:
        """Fill and keep ``ids``: the start a batch of prompts shares (``batch.Lane``)."""
        self.fill(ids, mask, keep=True, should_cancel=should_cancel)
        return self.kept[-1]

    def shared(self, ids: np.ndarray, mask: AttentionMask, limit: int) -> tuple[int, Filled | None]:
        """The longest start of ``ids`` (at most ``limit`` slots) a fill holds, and that fill."""
        best, source = 0, None
        for filled in (*self.kept, self.latest):
            if filled is None:
                continue
            n = min(common_prefix(filled.ids, ids), limit,
                    masks_agree_below(self.runtime, filled.mask, mask))
            if n > best:
                best, source = n, filled
        return best, source


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def masks_agree_below(runtime: Transformer, a: AttentionMask, b: AttentionMask) -> int:
    """Slots below which ``a`` and ``b`` give every query the same keys in every layer."""
    if a == b:
        return sys.maxsize
    config = runtime.config
    agree = sys.maxsize
    for layer in range(config.arch.n_layers):
        la, lb = config.layer_mask(layer, a), config.layer_mask(layer, b)
        if la != lb:  # two plain masks that differ: at least one has a window
            agree = min(agree, *(m.window for m in (la, lb) if m.window is not None))
    return agree
