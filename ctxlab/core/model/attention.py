"""Prefill attention: blocks of new queries against the cached keys, one task per core.

A forward pass cuts its new rows into blocks of ``QUERY_BLOCK`` queries; each block
knows which key slots its mask can reach and where it must add -inf, so masked keys
are mostly never scored. Each (block, KV head) pair is one task, run from scores
through softmax to values on one core (``threads``).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.model import threads
from ctxlab.core.model.masks import AttentionMask

QUERY_BLOCK = 128  # queries per attention block: bounds the score matrix, skips masked keys
# exp() below about -87 gives float32 subnormals, which make the CPU 10-100x slower in the
# following matmul. Weights this small are invisible next to the row's maximum weight of 1.
EXP_FLOOR = np.float32(-80.0)


class Block(NamedTuple):
    """A block of new query rows ``[lo, hi)`` and the key slots it may need (a slice, or
    sinks + a run), with an additive -inf ``bias`` over the key columns ``cols`` where some
    are masked (under causal masks, just the diagonal), or None."""

    lo: int
    hi: int
    key_slots: slice | np.ndarray
    n_keys: int
    bias: np.ndarray | None
    cols: tuple[int, int]


def query_blocks(mask: AttentionMask, start: int, end: int) -> list[Block]:
    """The query blocks of new slots ``[start, end)``: computed once per forward pass and
    shared by every layer."""
    blocks = []
    for q_lo in range(start, end, QUERY_BLOCK):
        q_hi = min(end, q_lo + QUERY_BLOCK)
        sinks_end, lo, hi = mask.key_span(q_lo, q_hi)
        if sinks_end:
            key_slots: slice | np.ndarray = np.r_[0:sinks_end, lo:hi]
        else:
            key_slots = slice(lo, hi)
        slots = key_slots if isinstance(key_slots, np.ndarray) else np.arange(lo, hi)
        allowed = mask.allowed(np.arange(q_lo, q_hi), slots)
        masked_cols = np.flatnonzero(~allowed.all(axis=0))
        bias, cols = None, (0, 0)
        if masked_cols.size:
            cols = (int(masked_cols[0]), int(masked_cols[-1]) + 1)
            bias = np.where(allowed[:, cols[0] : cols[1]], 0.0, -np.inf).astype(np.float32)
        blocks.append(Block(q_lo - start, q_hi - start, key_slots, len(slots), bias, cols))
    return blocks


def attend(a: Architecture, q: np.ndarray, keys: np.ndarray, values: np.ndarray,
            blocks: list[Block]) -> np.ndarray:
    """Grouped-query attention, one task per (query block, KV head), dealt over the cores.

    A KV head serves its ``group`` query heads in one product (their rows stacked). With
    head_dim 64 OpenBLAS runs these K=64 products at a third of its peak, and threaded it
    waits on its other thread for each of them; one core per task, from product through
    softmax to product, keeps both cores busy and the scores in cache.
    """
    n_new, group, hd = q.shape[0], a.n_heads // a.n_kv_heads, a.head_dim
    # (kv_head, token, group, dim): a block of tokens is a contiguous run of rows.
    q = np.ascontiguousarray(q.reshape(n_new, a.n_kv_heads, group, hd).transpose(1, 0, 2, 3))
    out = np.empty((n_new, a.n_heads * hd), dtype=np.float32)
    tasks = [(block, head) for block in blocks for head in range(a.n_kv_heads)]
    cost = [(block.hi - block.lo) * block.n_keys for block, _ in tasks]
    dealt = threads.parts(len(tasks), cost) if threads.blas_single() else [range(len(tasks))]
    threads.run_all([partial(_attend_tasks, [tasks[i] for i in part], q, keys, values, out)
                     for part in dealt])
    return out


def _attend_tasks(tasks: list[tuple[Block, int]], q: np.ndarray, keys: np.ndarray,
                  values: np.ndarray, out: np.ndarray) -> None:
    """Attention of query block x KV head ``tasks``, each into its own part of ``out``."""
    _, _, group, hd = q.shape
    for block, head in tasks:
        rows = block.hi - block.lo
        scores = q[head, block.lo : block.hi].reshape(rows * group, hd) @ keys[
            head, block.key_slots].T
        if block.bias is not None:
            c0, c1 = block.cols
            scores.reshape(rows, group, -1)[..., c0:c1] += block.bias[:, None, :]
        scores -= scores.max(axis=1, keepdims=True)
        np.maximum(scores, EXP_FLOOR, out=scores)
        np.exp(scores, out=scores)
        total = scores.sum(axis=1, keepdims=True)
        mixed = scores @ values[head, block.key_slots]
        mixed /= total
        out[block.lo : block.hi, head * group * hd : (head + 1) * group * hd] = mixed.reshape(
            rows, group * hd)
