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

import numpy as np

from ctxlab.core.model.generate import Generation
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import CAUSAL, EXP_FLOOR, KVCache, Transformer


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
    (a stop token, ``until[i]`` holding, or ``max_new_tokens``); finished lanes drop out."""
    stops = set(stop_ids)
    untils = list(until) if until is not None else [None] * len(lanes)
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

    def __call__(self, index: int, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        a = self.arch
        n, group, hd = len(self.lanes), a.n_heads // a.n_kv_heads, a.head_dim
        for i, lane in enumerate(self.lanes):
            lane.keys[index, :, lane.length] = k[i]
            lane.values[index, :, lane.length] = v[i]
        layer_mask = self.config.layer_mask(index, self.mask)
        if layer_mask not in self.spans:
            self.spans[layer_mask] = self._spans(layer_mask)
        base_span, own_spans = self.spans[layer_mask]
        q = q.reshape(n, a.n_kv_heads, group, hd)
        # each half: (unnormalised mix, softmax sum, max) per (lane, kv head, group)
        own = [_softmax_half(q[i], lane.keys[index, :, lo:hi], lane.values[index, :, lo:hi], bias)
               for i, (lane, (lo, hi, bias)) in enumerate(zip(self.lanes, own_spans, strict=True))]
        mixed, total, top = (np.stack(part) for part in zip(*own, strict=True))
        if base_span is not None:
            lo, hi, bias = base_span
            qb = q.transpose(1, 0, 2, 3).reshape(a.n_kv_heads, n * group, hd)
            b_mixed, b_total, b_top = _softmax_half(
                qb, self.base.keys[index, :, lo:hi], self.base.values[index, :, lo:hi],
                bias, lanes=n)
            both = np.maximum(top, b_top)  # finite: a lane always sees its own newest key
            own_w, base_w = np.exp(top - both), np.exp(b_top - both)
            mixed = mixed * own_w + b_mixed * base_w
            total = total * own_w + b_total * base_w
        return (mixed / total).reshape(n, a.n_heads * hd)

    def _spans(self, mask: AttentionMask) -> tuple:
        """Key ranges for this step under ``mask``: the base's ``(lo, hi, bias)`` over all
        lanes (None if no lane may see it), and each lane's own ``(lo, hi, bias)``."""
        cover = [mask.key_span(int(p), int(p) + 1) for p in self.positions]
        own = []
        for lane, p, (sinks_end, lo, _) in zip(self.lanes, self.positions, cover, strict=True):
            first = 0 if sinks_end > lane.shared else max(lo - lane.shared, 0)
            slots = lane.shared + np.arange(first, lane.length + 1)
            allowed = mask.allowed(np.array([p]), slots)[0]
            own.append((first, lane.length + 1, None if allowed.all() else
                        np.where(allowed, 0.0, -np.inf).astype(np.float32)))
        starts = [0 if sinks_end else lo for sinks_end, lo, _ in cover]
        lo, hi = min(starts), int(self.shared.max())
        if hi <= lo:
            return None, own
        cols = np.arange(lo, hi)
        allowed = mask.allowed(self.positions, cols) & (cols[None, :] < self.shared[:, None])
        if not allowed.any():
            return None, own
        bias = None if allowed.all() else np.where(allowed, 0.0, -np.inf).astype(np.float32)
        return (lo, hi, bias), own


def _softmax_half(q: np.ndarray, keys: np.ndarray, values: np.ndarray, bias: np.ndarray | None,
                  lanes: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attention of ``q`` (kv head, rows, dim) over some keys, unnormalised: the weighted
    values, the weights' sum, and the top score they are relative to (-inf: none visible).

    With ``lanes``, the rows are every lane's query heads against the shared base, ``bias``
    is per lane, and the results come back per lane: ``(lanes, kv head, group, ...)``.
    """
    scores = q @ keys.transpose(0, 2, 1)
    if lanes is not None:
        scores = scores.reshape(scores.shape[0], lanes, -1, scores.shape[-1])
        if bias is not None:
            scores += bias[None, :, None, :]
    elif bias is not None:
        scores += bias
    top = scores.max(axis=-1, keepdims=True)
    scores -= np.where(np.isfinite(top), top, np.float32(0.0))
    np.maximum(scores, EXP_FLOOR, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    if lanes is None:
        return scores @ values, total, top
    kv_heads = scores.shape[0]
    mixed = scores.reshape(kv_heads, -1, scores.shape[-1]) @ values
    mixed = mixed.reshape(scores.shape[:-1] + (values.shape[-1],))
    return (mixed.transpose(1, 0, 2, 3), total.transpose(1, 0, 2, 3), top.transpose(1, 0, 2, 3))
