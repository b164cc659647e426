"""Greedy decoding of many prompts in lockstep: one matrix product per weight per step.

Decoding one prompt reads every weight once per token, so it runs at the speed
of memory, not of arithmetic. Decoding a batch stacks one row per prompt, and
each step reads the weights once for all of them. Prompts that start alike
(the needle grid's template and haystack) also share that start: a ``Lane``
stores only the keys and values past the shared ``base`` cache, and each step
scores every lane's query against the base in one product. The base part and
the lane's own part are two halves of one softmax, merged exactly (each half
keeps its own maximum and sum).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from ctxlab.core.model import threads
from ctxlab.core.model.attention import EXP_FLOOR
from ctxlab.core.model.generate import Generation
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import CAUSAL, KVCache, Transformer


@dataclass
class Lane:
    """One prompt in a batch: base slots ``[0, shared)`` plus its own keys and values for
    positions ``shared, shared + 1, ...`` (own slot j holds position ``shared + j``)."""

    shared: int
    keys: np.ndarray  # (n_layers, n_kv_heads, capacity, head_dim)
    values: np.ndarray
    length: int  # own slots filled

    @classmethod
    def from_cache(cls, cache: KVCache, shared: int, length: int, extra: int) -> Lane:
        """Copy positions ``[shared, length)`` of a filled ``cache`` (its first ``shared``
        slots must equal the base's), with room for ``extra`` decoded tokens."""
        own = length - shared
        keys = np.empty(cache.keys.shape[:2] + (own + extra,) + cache.keys.shape[3:], np.float32)
        values = np.empty_like(keys)
        keys[:, :, :own] = cache.keys[:, :, shared:length]
        values[:, :, :own] = cache.values[:, :, shared:length]
        return cls(shared, keys, values, own)

    @property
    def position(self) -> int:
        """The position of the next token this lane takes."""
        return self.shared + self.length

    def make_room(self) -> None:
        if self.length < self.keys.shape[2]:
            return
        grow = max(16, self.keys.shape[2])
        pad = ((0, 0), (0, 0), (0, grow), (0, 0))
        self.keys, self.values = np.pad(self.keys, pad), np.pad(self.values, pad)


def decode_step(runtime: Transformer, base: KVCache, lanes: Sequence[Lane],
                tokens: Sequence[int], mask: AttentionMask = CAUSAL,
                should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Feed ``tokens[i]`` to ``lanes[i]``; return their final hidden states ``(lanes, d)``."""
    for lane in lanes:
        lane.make_room()
    positions = np.array([lane.position for lane in lanes], dtype=np.int64)
    attention = _LaneAttention(runtime, base, lanes, positions, mask)
    x = runtime.run_layers(np.asarray(tokens, dtype=np.int64), positions, attention,
                           should_cancel)
    for lane in lanes:
        lane.length += 1
    return runtime.final_hidden(x)


def greedy_batch(runtime: Transformer, base: KVCache, lanes: Sequence[Lane],
                 last_hidden: np.ndarray, *, mask: AttentionMask = CAUSAL,
                 max_new_tokens: int = 32, stop_ids: Sequence[int] | set[int] = (),
                 until: Sequence[Callable[[list[int]], bool] | None] | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> list[Generation]:
    """Greedy continuations of every lane, each stopping by the rules of ``generate.greedy``
    (a stop token, ``until[i]`` holding, or ``max_new_tokens``); finished lanes drop out.
    BLAS runs on one thread meanwhile, and the steps split their work themselves."""
    with threads.one_blas_thread():
        return _lockstep(runtime, base, lanes, last_hidden, mask, max_new_tokens, set(stop_ids),
                         list(until) if until is not None else [None] * len(lanes),
                         should_cancel)


def _lockstep(runtime: Transformer, base: KVCache, lanes: Sequence[Lane],
              last_hidden: np.ndarray, mask: AttentionMask, max_new_tokens: int,
              stops: set[int], untils: list, should_cancel: Callable[[], bool] | None
              ) -> list[Generation]:
    outs: list[list[int]] = [[] for _ in lanes]
    steps = [0] * len(lanes)
    done: list[Generation | None] = [None] * len(lanes)
    active = list(range(len(lanes)))
    logits = runtime.logits(np.atleast_2d(last_hidden))
    while active:
        going, tokens = [], []
        for row, i in enumerate(active):
            token = int(np.argmax(logits[row]))
            stopped = _stop_reason(token, outs[i], stops, untils[i], max_new_tokens)
            if stopped:
                done[i] = Generation(outs[i], stopped, steps[i])
            else:
                going.append(i)
                tokens.append(token)
        active = going
        if active:
            hidden = decode_step(runtime, base, [lanes[i] for i in active], tokens, mask,
                                 should_cancel)
            logits = runtime.logits(hidden)
            for i in active:
                steps[i] += 1
    return [gen for gen in done if gen is not None]


def _stop_reason(token: int, out: list[int], stops: set[int],
                 until: Callable[[list[int]], bool] | None, max_new_tokens: int) -> str:
    """Take ``token`` into ``out`` unless it stops the lane; say why the lane stops, or ""."""
    if token in stops:
        return "stop-token"
    out.append(token)
    if until is not None and until(out):
        return "until"
    return "max-tokens" if len(out) >= max_new_tokens else ""


class _LaneAttention:
    """One new row per lane: its own slots in a loop, the shared base in one product."""

    def __init__(self, runtime: Transformer, base: KVCache, lanes: Sequence[Lane],
                 positions: np.ndarray, mask: AttentionMask) -> None:
        self.config, self.arch = runtime.config, runtime.config.arch
        self.base, self.lanes, self.positions, self.mask = base, lanes, positions, mask
        self.shared = np.array([lane.shared for lane in lanes], dtype=np.int64)
        self.spans: dict[AttentionMask, tuple] = {}  # per layer mask, shared by its layers
        self.parts: dict[AttentionMask, list[list[int]]] = {}

    def __call__(self, index: int, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        a = self.arch
        n, group, hd = len(self.lanes), a.n_heads // a.n_kv_heads, a.head_dim
        for i, lane in enumerate(self.lanes):
            lane.keys[index, :, lane.length] = k[i]
            lane.values[index, :, lane.length] = v[i]
        layer_mask = self.config.layer_mask(index, self.mask)
        if layer_mask not in self.spans:
            self.spans[layer_mask] = groups, own_spans = self._spans(layer_mask)
            # lanes' own slots, then the base groups, dealt over the cores by keys scored
            self.parts[layer_mask] = threads.parts(n + len(groups), [
                hi - lo for lo, hi, _ in own_spans] + [len(g[0]) * (g[2] - g[1]) for g in groups])
        base_groups, own_spans = self.spans[layer_mask]
        q = q.reshape(n, a.n_kv_heads, group, hd)
        # each half: (unnormalised mix, softmax sum, max) per (lane, kv head, group)
        mixed, total, top = (np.empty_like(q), np.empty(q.shape[:-1] + (1,), np.float32),
                             np.empty(q.shape[:-1] + (1,), np.float32))
        b_mixed, b_total = np.zeros_like(mixed), np.zeros_like(total)
        b_top = np.full_like(top, -np.inf)  # lanes in no group see none of the base

        def own(i: int) -> None:
            lane, (lo, hi, bias) = self.lanes[i], own_spans[i]
            mixed[i], total[i], top[i] = _own_half(
                q[i], lane.keys[index, :, lo:hi], lane.values[index, :, lo:hi], bias)

        def shared(rows: np.ndarray, lo: int, hi: int, bias: np.ndarray | None) -> None:
            qb = q[rows].transpose(1, 0, 2, 3).reshape(a.n_kv_heads, len(rows) * group, hd)
            b_mixed[rows], b_total[rows], b_top[rows] = _base_half(
                qb, self.base.keys[index, :, lo:hi], self.base.values[index, :, lo:hi], bias,
                lanes=len(rows))

        work = [partial(own, i) for i in range(n)] + [partial(shared, *g) for g in base_groups]
        threads.run_all([partial(_call_each, [work[j] for j in part])
                         for part in self.parts[layer_mask]])
        if base_groups:
            both = np.maximum(top, b_top)  # finite: a lane always sees its own newest key
            own_w, base_w = np.exp(top - both), np.exp(b_top - both)
            mixed = mixed * own_w + b_mixed * base_w
            total = total * own_w + b_total * base_w
        return (mixed / total).reshape(n, a.n_heads * hd)

    def _spans(self, mask: AttentionMask) -> tuple:
        """Key ranges for this step under ``mask``: ``(rows, lo, hi, bias)`` of the base for
        each group of lanes (``_base_groups``; groups that see none of it left out), and each
        lane's own ``(lo, hi, bias)``."""
        cover = [mask.key_span(int(p), int(p) + 1) for p in self.positions]
        own = []
        for lane, p, (sinks_end, lo, _) in zip(self.lanes, self.positions, cover, strict=True):
            first = 0 if sinks_end > lane.shared else max(lo - lane.shared, 0)
            slots = lane.shared + np.arange(first, lane.length + 1)
            allowed = mask.allowed(np.array([p]), slots)[0]
            own.append((first, lane.length + 1, None if allowed.all() else
                        np.where(allowed, 0.0, -np.inf).astype(np.float32)))
        starts = np.array([0 if sinks_end else lo for sinks_end, lo, _ in cover])
        groups = []
        for rows in _base_groups(self.shared):
            lo, hi = int(starts[rows].min()), int(self.shared[rows].max())
            if hi <= lo:
                continue
            cols = np.arange(lo, hi)
            allowed = (mask.allowed(self.positions[rows], cols)
                       & (cols[None, :] < self.shared[rows, None]))
            if allowed.any():
                groups.append((rows, lo, hi, None if allowed.all() else
                               np.where(allowed, 0.0, -np.inf).astype(np.float32)))
        return groups, own


def _call_each(calls: list[Callable[[], None]]) -> None:
    for call in calls:
        call()


def _base_groups(shared: np.ndarray) -> list[np.ndarray]:
    """Lanes in groups of similar shared length (longest first; a group ends where a lane
    shares less than half of its first lane), so each group's product over the base stops
    at its own longest lane: a lane that shares 24 slots need not score 2,000."""
    order = np.argsort(-shared, kind="stable")
    groups, start = [], 0
    for i in range(1, len(order) + 1):
        if i == len(order) or 2 * shared[order[i]] < shared[order[start]]:
            groups.append(order[start:i])
            start = i
    return groups


def _own_half(q: np.ndarray, keys: np.ndarray, values: np.ndarray, bias: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One lane's query heads ``(kv head, group, dim)`` against its own keys, as
    ``_base_half`` gives it: mix ``(kv head, group, dim)``, sum and top ``(..., 1)``.

    Scores are taken keys-first (``keys @ q.T``, a tall, thin product OpenBLAS runs about
    twice as fast as ``q @ keys.T``), then laid out slot-last so the softmax reduces along
    contiguous rows. The top is finite: a lane always sees its own newest key.
    """
    scores = np.ascontiguousarray((keys @ q.transpose(0, 2, 1)).transpose(0, 2, 1))
    if bias is not None:
        scores += bias
    top = scores.max(axis=-1, keepdims=True)
    scores -= top
    np.maximum(scores, EXP_FLOOR, out=scores)
    np.exp(scores, out=scores)
    return scores @ values, scores.sum(axis=-1, keepdims=True), top


def _base_half(q: np.ndarray, keys: np.ndarray, values: np.ndarray, bias: np.ndarray | None,
               lanes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every lane's query heads ``(kv head, lanes * group, dim)`` against the shared base,
    unnormalised: the weighted values, the weights' sum, and the top score they are relative
    to (-inf: the lane sees none of the base), per lane: ``(lanes, kv head, group, ...)``.
    ``bias`` is ``(lanes, keys)``.
    """
    scores = q @ keys.transpose(0, 2, 1)
    scores = scores.reshape(scores.shape[0], lanes, -1, scores.shape[-1])
    if bias is not None:
        scores += bias[None, :, None, :]
    top = scores.max(axis=-1, keepdims=True)
    scores -= np.where(np.isfinite(top), top, np.float32(0.0))
    np.maximum(scores, EXP_FLOOR, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    kv_heads = scores.shape[0]
    mixed = scores.reshape(kv_heads, -1, scores.shape[-1]) @ values
    mixed = mixed.reshape(scores.shape[:-1] + (values.shape[-1],))
    return (mixed.transpose(1, 0, 2, 3), total.transpose(1, 0, 2, 3), top.transpose(1, 0, 2, 3))
