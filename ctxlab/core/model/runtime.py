"""A numpy transformer forward pass with a KV cache and windowed attention masks.

One code path runs Llama-family models (RMSNorm, RoPE, grouped-query
attention, SwiGLU), Gemma 3 (the same plus per-head QK-norm, norms after
attention and MLP, GeGLU, embeddings scaled by sqrt(d), and local layers with
their own window and RoPE base) and GPT-2 (LayerNorm, learned positions, GELU). Everything
is float32; q|k|v and gate|up are single matmuls; the query heads that share a KV
head are one matmul per block of queries; logits are computed only where asked,
because the vocabulary projection costs as much as many layers. A forward pass runs
OpenBLAS on one thread and splits its own work over the cores (``threads``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from functools import partial
from typing import Protocol

import numpy as np

from ctxlab.core.model import threads
from ctxlab.core.model.attention import EXP_FLOOR, Block, attend, query_blocks
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.weights import LayerWeights, ModelWeights

CAUSAL = AttentionMask()
SMALL_BATCH = 128  # rows up to which ``linear`` takes the transposed product
SPLIT_ROWS = 256  # output features from which ``linear`` splits a product over the cores


class Cancelled(Exception):
    """A forward pass stopped between layers because its ``should_cancel`` said so."""


class KVCache:
    """Keys (already rotated) and values of every layer for slots ``[0, length)``.

    A slot's position is its index, so a cache can be forked at any length and
    extended differently: the needle grid shares a haystack prefix this way.
    """

    def __init__(self, weights: ModelWeights, capacity: int = 256) -> None:
        a = weights.config.arch
        self._layout = (a.n_layers, a.n_kv_heads, a.head_dim)
        self.keys = self._alloc(capacity)
        self.values = self._alloc(capacity)
        self.length = 0

    def _alloc(self, capacity: int) -> np.ndarray:
        n_layers, n_kv, head_dim = self._layout
        return np.empty((n_layers, n_kv, capacity, head_dim), dtype=np.float32)

    @property
    def capacity(self) -> int:
        return int(self.keys.shape[2])

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more slots (grows by doubling, copying the used part)."""
        need = self.length + extra
        if need <= self.capacity:
            return
        capacity = max(need, 2 * self.capacity)
        keys, values = self._alloc(capacity), self._alloc(capacity)
        keys[:, :, : self.length] = self.keys[:, :, : self.length]
        values[:, :, : self.length] = self.values[:, :, : self.length]
        self.keys, self.values = keys, values

    def fork(self, length: int | None = None, extra: int = 0) -> KVCache:
        """An independent copy of the first ``length`` slots, with room for ``extra`` more."""
        length = self.length if length is None else length
        if length > self.length:
            raise ValueError(f"cannot fork {length} slots from a cache holding {self.length}")
        copy = object.__new__(KVCache)
        copy._layout = self._layout
        copy.keys = self._alloc(length + extra)
        copy.values = self._alloc(length + extra)
        copy.keys[:, :, :length] = self.keys[:, :, :length]
        copy.values[:, :, :length] = self.values[:, :, :length]
        copy.length = length
        return copy

    def truncate(self, length: int) -> None:
        """Forget slots from ``length`` on (to roll back rejected draft tokens)."""
        self.length = min(self.length, length)


class Transformer:
    """Forward passes over ``ModelWeights``; holds no per-text state (that is the ``KVCache``)."""

    def __init__(self, weights: ModelWeights) -> None:
        self.weights = weights
        self.config = weights.config
        self._rope_tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def new_cache(self, capacity: int = 256) -> KVCache:
        return KVCache(self.weights, capacity)

    def forward(self, ids: Sequence[int] | np.ndarray, cache: KVCache, *,
                mask: AttentionMask = CAUSAL, outputs_at: Sequence[int] | slice | None = (-1,),
                should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Append ``ids`` to ``cache``; return final hidden states of the rows ``outputs_at``.

        Rows index the new tokens (``-1`` is the last). Turn them into logits
        with ``logits`` or scores with ``target_logprobs``; ``None`` returns nothing
        (a prefix pass that only fills the cache).
        """
        ids = np.asarray(ids, dtype=np.int64)
        start, end = cache.length, cache.length + int(ids.shape[0])
        cache.reserve(end - start)
        # A prefill's layers split their own work over the cores. A few rows keep threaded
        # BLAS: handing each of their small products to the pool costs more than it saves.
        with threads.one_blas_thread() if len(ids) > SMALL_BATCH else nullcontext():
            x = self.run_layers(ids, np.arange(start, end),
                                _CacheAttention(self, cache, mask, start), should_cancel)
        cache.length = end
        if outputs_at is None:
            return np.empty((0, self.config.arch.d_model), dtype=np.float32)
        return self.final_hidden(np.atleast_2d(x[outputs_at]))

    def run_layers(self, ids: np.ndarray, positions: np.ndarray, attention: Attention,
                   should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Every layer over the rows ``ids`` at ``positions``; ``attention`` stores their keys
        and values and attends (one prompt's cache, or many prompts decoded in lockstep)."""
        x = self.weights.embed[ids]
        if self.weights.embed_scale != 1.0:
            x *= np.float32(self.weights.embed_scale)
        if self.weights.positions is not None:
            x = x + self.weights.positions[positions]
        for index, layer in enumerate(self.weights.layers):
            if should_cancel is not None and should_cancel():
                raise Cancelled
            rope = (self._rope(self.config.layer_rope_theta(index), positions)
                    if self.config.uses_rope else None)
            x = self._layer(index, layer, x, rope, attention)
        return x

    def final_hidden(self, rows: np.ndarray) -> np.ndarray:
        """The final norm over last-layer rows: what ``logits`` takes."""
        return self._norm(rows, self.weights.final_norm, self.weights.final_norm_bias)

    def logits(self, hidden: np.ndarray) -> np.ndarray:
        """Vocabulary logits ``(rows, vocab)`` for final hidden states."""
        return linear(hidden, self.weights.head)

    def target_logprobs(self, hidden: np.ndarray, targets: Sequence[int] | np.ndarray,
                        chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Log-probability of ``targets[i]`` after row ``i``, and whether it was the argmax.

        Chunked so 2,048 rows never hold a 400 MB logits matrix at once.
        """
        targets = np.asarray(targets, dtype=np.int64)
        logprobs = np.empty(len(targets), dtype=np.float32)
        is_top = np.empty(len(targets), dtype=bool)
        for lo in range(0, len(targets), chunk):
            hi = min(len(targets), lo + chunk)
            logits = self.logits(hidden[lo:hi])
            top = logits.max(axis=1, keepdims=True)
            shifted = np.maximum(logits - top, EXP_FLOOR)
            log_norm = np.log(np.exp(shifted, out=shifted).sum(axis=1)) + top[:, 0]
            picked = logits[np.arange(hi - lo), targets[lo:hi]]
            logprobs[lo:hi] = picked - log_norm
            is_top[lo:hi] = picked >= top[:, 0]
        return logprobs, is_top

    def _layer(self, index: int, layer: LayerWeights, x: np.ndarray,
               rope: tuple[np.ndarray, np.ndarray] | None, attention: Attention) -> np.ndarray:
        """One layer: everything but attention treats each row alone, so a prefill hands
        each core a run of rows (numpy's elementwise work runs on one core)."""
        a = self.config.arch
        n_new = x.shape[0]
        q = np.empty((n_new, a.n_heads, a.head_dim), dtype=np.float32)
        k = np.empty((n_new, a.n_kv_heads, a.head_dim), dtype=np.float32)
        v = np.empty_like(k)
        _by_rows(n_new, partial(self._project, layer, x, rope, (q, k, v)))
        attn = attention(index, q, k, v)
        out = np.empty_like(x)
        _by_rows(n_new, partial(self._finish, layer, x, attn, out))
        return out

    def _project(self, layer: LayerWeights, x: np.ndarray,
                 rope: tuple[np.ndarray, np.ndarray] | None,
                 outs: tuple[np.ndarray, np.ndarray, np.ndarray], lo: int, hi: int) -> None:
        """Rows ``[lo, hi)``' rotated, scaled queries and rotated keys and values into ``outs``."""
        a = self.config.arch
        n_q, n_kv, hd = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim, a.head_dim
        h = self._norm(x[lo:hi], layer.attn_norm, layer.attn_norm_bias)
        qkv = linear(h, layer.qkv)
        if layer.qkv_bias is not None:
            qkv += layer.qkv_bias
        rows = hi - lo
        q = qkv[:, :n_q].reshape(rows, a.n_heads, hd)
        k = qkv[:, n_q : n_q + n_kv].reshape(rows, a.n_kv_heads, hd)
        if layer.q_norm is not None and layer.k_norm is not None:
            q, k = self._norm(q, layer.q_norm, None), self._norm(k, layer.k_norm, None)
        if rope is not None:
            cos, sin = rope[0][lo:hi], rope[1][lo:hi]
            q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        q_out, k_out, v_out = outs
        np.multiply(q, np.float32(self.config.attn_scale or hd**-0.5), out=q_out[lo:hi])
        k_out[lo:hi] = k
        v_out[lo:hi] = qkv[:, n_q + n_kv :].reshape(rows, a.n_kv_heads, hd)

    def _finish(self, layer: LayerWeights, x: np.ndarray, attn: np.ndarray, out: np.ndarray,
                lo: int, hi: int) -> None:
        """Rows ``[lo, hi)`` after attention: output projection, MLP and both residuals."""
        mixed = linear(attn[lo:hi], layer.out)
        if layer.out_bias is not None:
            mixed += layer.out_bias
        if layer.post_attn_norm is not None:
            mixed = self._norm(mixed, layer.post_attn_norm, None)
        mixed += x[lo:hi]
        h = self._norm(mixed, layer.mlp_norm, layer.mlp_norm_bias)
        mlp = self._mlp(layer, h)
        if layer.post_mlp_norm is not None:
            mlp = self._norm(mlp, layer.post_mlp_norm, None)
        np.add(mixed, mlp, out=out[lo:hi])

    def _mlp(self, layer: LayerWeights, h: np.ndarray) -> np.ndarray:
        up = linear(h, layer.up)
        if layer.up_bias is not None:
            up += layer.up_bias
        if self.config.family == "gpt2":
            act = _gelu_tanh(up)
        else:
            ffn = self.config.ffn_dim
            gate, lin = up[:, :ffn], up[:, ffn:]
            if self.config.gated_gelu:  # GeGLU
                act = _gelu_tanh(gate)
            else:  # SiLU(gate) = gate * sigmoid(gate)
                act = np.negative(gate)
                np.exp(act, out=act)
                act += 1.0
                np.divide(gate, act, out=act)
            act *= lin
        out = linear(act, layer.down)
        if layer.down_bias is not None:
            out += layer.down_bias
        return out

    def _norm(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        eps = np.float32(self.config.norm_eps)
        if self.config.family != "gpt2":
            scale = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
            return (x * scale) * weight
        centred = x - x.mean(axis=-1, keepdims=True)
        scale = 1.0 / np.sqrt(np.mean(centred * centred, axis=-1, keepdims=True) + eps)
        return (centred * scale) * weight + bias

    def _rope(self, theta: float, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """cos/sin tables of base ``theta`` at ``positions``, grown (in float64, then cast)
        as needed; the context length is allocated up front, 8K at most."""
        cos, sin = self._rope_tables.get(theta, (np.empty((0, 0), np.float32),) * 2)
        hi = int(positions.max()) + 1 if positions.size else 0
        if hi > cos.shape[0]:
            size = max(hi, min(self.config.arch.context_length, 8192), 2 * cos.shape[0])
            hd = self.config.arch.head_dim
            exponents = np.arange(0, hd, 2, dtype=np.float64) / hd
            inv_freq = 1.0 / (theta**exponents)
            angles = np.arange(size, dtype=np.float64)[:, None] * inv_freq[None, :]
            cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
            self._rope_tables[theta] = (cos, sin)
        return cos[positions, None, :], sin[positions, None, :]


def linear(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x @ weight.T`` for a weight stored ``(out, in)``, as a C-contiguous array.

    OpenBLAS multiplies a few rows (decoding, drafts, lockstep lanes) about twice as
    fast as ``weight @ x.T`` than as ``x @ weight.T``; from about ``SMALL_BATCH`` rows on,
    both run alike. With BLAS on one thread (``threads.one_blas_thread``), the product is
    split over the cores here instead: by the rows of ``x`` for a prefill, by the weight's
    rows for a few rows.
    """
    rows = x.shape[0]
    if rows > SMALL_BATCH:
        if not threads.blas_single():
            return x @ weight.T
        out = np.empty((rows, weight.shape[0]), dtype=np.float32)
        threads.run_all([partial(np.matmul, x[lo:hi], weight.T, out=out[lo:hi])
                         for lo, hi in threads.spans(rows)])
        return out
    if not threads.blas_single() or weight.shape[0] < SPLIT_ROWS:
        return np.ascontiguousarray((weight @ x.T).T)
    out = np.empty((weight.shape[0], rows), dtype=np.float32)
    threads.run_all([partial(np.matmul, weight[lo:hi], x.T, out=out[lo:hi])
                     for lo, hi in threads.spans(weight.shape[0])])
    return np.ascontiguousarray(out.T)


def _by_rows(rows: int, task: Callable[[int, int], None]) -> None:
    """``task(lo, hi)`` over all ``rows``: one run of rows per core in a prefill (BLAS on
    one thread, more than ``SMALL_BATCH`` rows), else all at once."""
    if rows <= SMALL_BATCH or not threads.blas_single():
        task(0, rows)
        return
    threads.run_all([partial(task, lo, hi) for lo, hi in threads.spans(rows)])


class Attention(Protocol):
    """Stores layer ``index``'s new keys and values, and returns the rows' attention output
    ``(rows, n_heads * head_dim)`` for (already scaled) queries ``q``."""

    def __call__(self, index: int, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        ...


class _CacheAttention:
    """One prompt's new rows, appended to its ``KVCache`` from slot ``start`` on."""

    def __init__(self, runtime: Transformer, cache: KVCache, mask: AttentionMask,
                 start: int) -> None:
        self.config, self.arch = runtime.config, runtime.config.arch
        self.cache, self.mask, self.start = cache, mask, start
        self.blocks: dict[AttentionMask, list[Block]] = {}  # per layer mask, shared by its layers

    def __call__(self, index: int, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        end = self.start + q.shape[0]
        keys, values = self.cache.keys[index], self.cache.values[index]
        keys[:, self.start : end] = k.transpose(1, 0, 2)
        values[:, self.start : end] = v.transpose(1, 0, 2)
        layer_mask = self.config.layer_mask(index, self.mask)
        if layer_mask not in self.blocks:
            self.blocks[layer_mask] = query_blocks(layer_mask, self.start, end)
        return attend(self.arch, q, keys, values, self.blocks[layer_mask])


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (GPT-2's ``gelu_new``, Gemma's ``gelu_pytorch_tanh``)."""
    act = x * x  # sqrt(2/pi) * (x + 0.044715 x^3), in place; x**3 costs 20x more than x*x*x
    act *= np.float32(0.044715)
    act += 1.0
    act *= x
    act *= np.float32(0.7978845608028654)
    np.tanh(act, out=act)
    act += 1.0
    act *= x
    act *= np.float32(0.5)
    return act


def _rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """RoPE with the half-split pairing (dim i with dim i + d/2), as in HF's ``rotate_half``."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    out = np.empty(x.shape, dtype=np.float32)
    first, second = out[..., :half], out[..., half:]
    np.multiply(x1, cos, out=first)
    first -= x2 * sin
    np.multiply(x2, cos, out=second)
    second += x1 * sin
    return out
