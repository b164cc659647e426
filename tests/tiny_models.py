"""Random-init models small enough to run in milliseconds, shared by the runtime tests."""

from __future__ import annotations

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.model.runtime import Transformer
from ctxlab.core.model.weights import LayerWeights, ModelConfig, ModelWeights


def tiny_runtime(seed: int = 0, vocab: int = 50, d: int = 32, heads: int = 4, kv: int = 2,
                 ffn: int = 48, n_layers: int = 2, gemma_window: int | None = None
                 ) -> Transformer:
    """A Llama-shaped model; with ``gemma_window``, Gemma 3-shaped instead (QK-norm,
    post-norms, GeGLU, local layers of that window with every third layer global)."""
    rng = np.random.default_rng(seed)
    hd = d // heads

    def rand(*shape: int, scale: float = 0.4) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def linear(n_in: int, n_out: int) -> np.ndarray:  # drawn (in, out), stored (out, in)
        return np.ascontiguousarray(rand(n_in, n_out).T)

    def norm(size: int) -> np.ndarray:
        return 1.0 + rand(size, scale=0.2)

    def layer() -> LayerWeights:
        weights = LayerWeights(norm(d), linear(d, (heads + 2 * kv) * hd), linear(heads * hd, d),
                               norm(d), linear(d, 2 * ffn), linear(ffn, d))
        if gemma_window is not None:
            weights.q_norm, weights.k_norm = norm(hd), norm(hd)
            weights.post_attn_norm, weights.post_mlp_norm = norm(d), norm(d)
        return weights

    arch = Architecture("tiny", n_layers, heads, kv, hd, d, 256, vocab)
    if gemma_window is None:
        config = ModelConfig(arch, "llama", ffn)
    else:
        config = ModelConfig(arch, "gemma3", ffn, rope_theta=1e6, local_window=gemma_window,
                             global_every=3)
    embed = rand(vocab, d)
    return Transformer(ModelWeights(config, embed, [layer() for _ in range(n_layers)], norm(d),
                                    embed, embed_scale=1.0 if gemma_window is None else d**0.5))
