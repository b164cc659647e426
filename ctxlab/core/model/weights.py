"""Model weights as float32 ``(out, in)`` matrices, whatever file they came from.

Every loader (GGUF, safetensors Llama/Gemma 3, safetensors GPT-2) produces this
one record, so the runtime has a single code path. Fused layouts (q|k|v,
gate|up) are chosen here because they halve the number of matmuls per layer.
Rows are output features, the layout GGUF and torch files use: a batch of a few
rows multiplies fastest through it (``runtime.linear``).
Norm weights are stored as the factor the runtime multiplies by: Gemma's
RMSNorm scales by (1 + w), so its loaders store 1 + w.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.errors import UserError
from ctxlab.core.model.masks import AttentionMask


class ModelError(UserError):
    """A model file cannot be used; the message is one line saying why."""


@dataclass(frozen=True)
class ModelConfig:
    """The shape (``Architecture``) plus what the runtime needs to compute with it."""

    arch: Architecture
    # "llama" (RMSNorm, RoPE, SwiGLU) | "gpt2" (LayerNorm, learned positions, GELU)
    # | "gemma3" (llama's plus QK-norm, GeGLU, post-norms, scaled embeddings, local layers)
    family: str
    ffn_dim: int
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0  # the global layers' base (every layer's, without local ones)
    tied_embeddings: bool = True
    source: str = ""
    licence: str | None = None
    local_window: int | None = None  # local layers see this many tokens (None: no local layers)
    local_rope_theta: float = 10000.0
    global_every: int = 1  # every n-th layer is global, the others local
    attn_scale: float | None = None  # query scale (default head_dim ** -0.5)

    @property
    def uses_rope(self) -> bool:
        return self.family != "gpt2"

    @property
    def gated_gelu(self) -> bool:
        return self.family == "gemma3"

    def is_local(self, layer: int) -> bool:
        """Does ``layer`` attend through the model's own sliding window?"""
        return self.local_window is not None and (layer + 1) % self.global_every != 0

    def native_mask(self, layer: int) -> AttentionMask:
        """The attention ``layer`` was trained with: its sliding window, or full causal."""
        if self.is_local(layer):
            return AttentionMask.sliding(self.local_window or 1)
        return AttentionMask.causal()

    def layer_mask(self, layer: int, mask: AttentionMask) -> AttentionMask:
        """What ``layer`` applies when the run asks for ``mask``."""
        return self.native_mask(layer) if mask.native else mask

    def layer_rope_theta(self, layer: int) -> float:
        return self.local_rope_theta if self.is_local(layer) else self.rope_theta

    @property
    def params_per_token(self) -> int:
        """Weights every token multiplies through (no embeddings, no head): 2x this = FLOPs."""
        a = self.arch
        qkv = a.d_model * (a.n_heads + 2 * a.n_kv_heads) * a.head_dim
        attn = qkv + a.n_heads * a.head_dim * a.d_model
        mlp = (2 if self.family == "gpt2" else 3) * a.d_model * self.ffn_dim
        return a.n_layers * (attn + mlp)


@dataclass
class LayerWeights:
    attn_norm: np.ndarray
    qkv: np.ndarray  # ((n_heads + 2 n_kv_heads) head_dim, d_model): [q | k | v]
    out: np.ndarray  # (d_model, n_heads head_dim)
    mlp_norm: np.ndarray
    up: np.ndarray  # llama: (2 ffn, d_model) = [gate | up]; gpt2: (ffn, d_model)
    down: np.ndarray  # (d_model, ffn)
    # GPT-2 only: LayerNorm shifts and linear biases.
    attn_norm_bias: np.ndarray | None = None
    qkv_bias: np.ndarray | None = None
    out_bias: np.ndarray | None = None
    mlp_norm_bias: np.ndarray | None = None
    up_bias: np.ndarray | None = None
    down_bias: np.ndarray | None = None
    # Gemma 3 only: RMSNorm of each head's query and key, and norms after attention and MLP.
    q_norm: np.ndarray | None = None
    k_norm: np.ndarray | None = None
    post_attn_norm: np.ndarray | None = None
    post_mlp_norm: np.ndarray | None = None


@dataclass
class ModelWeights:
    config: ModelConfig
    embed: np.ndarray  # (vocab, d_model)
    layers: list[LayerWeights]
    final_norm: np.ndarray
    head: np.ndarray  # (vocab, d_model); ``embed`` itself when tied
    final_norm_bias: np.ndarray | None = None
    positions: np.ndarray | None = None  # GPT-2's learned (context, d_model) table
    embed_scale: float = 1.0  # Gemma multiplies embeddings by sqrt(d_model)

    def parameter_count(self) -> int:
        """Every weight the file holds: embeddings, layers (norms and biases too), head."""
        arrays = [self.embed, self.final_norm, self.final_norm_bias, self.positions]
        if not self.config.tied_embeddings:
            arrays.append(self.head)
        for layer in self.layers:
            arrays.extend(vars(layer).values())
        return sum(a.size for a in arrays if isinstance(a, np.ndarray))


def f32(array: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 copy-or-view: the one dtype the runtime computes in."""
    return np.ascontiguousarray(array, dtype=np.float32)


def llama_layer(attn_norm: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                out: np.ndarray, mlp_norm: np.ndarray, gate: np.ndarray, up: np.ndarray,
                down: np.ndarray, qkv_bias: np.ndarray | None = None,
                gemma_norms: tuple[np.ndarray, ...] | None = None) -> LayerWeights:
    """One Llama-family layer from ``(out, in)`` matrices, fused the way the runtime wants.

    Every file format names these tensors differently; this is where they meet.
    ``gemma_norms`` is Gemma 3's (q_norm, k_norm, post_attn_norm, post_mlp_norm),
    already as multipliers (1 + w).
    """
    q_norm, k_norm, post_attn, post_mlp = (None,) * 4 if gemma_norms is None else map(
        f32, gemma_norms)
    return LayerWeights(
        attn_norm=f32(attn_norm),
        qkv=f32(np.concatenate([q, k, v])),
        out=f32(out),
        mlp_norm=f32(mlp_norm),
        up=f32(np.concatenate([gate, up])),
        down=f32(down),
        qkv_bias=None if qkv_bias is None else f32(qkv_bias),
        q_norm=q_norm, k_norm=k_norm, post_attn_norm=post_attn, post_mlp_norm=post_mlp,
    )
