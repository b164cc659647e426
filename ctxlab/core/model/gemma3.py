"""What Gemma 3 is that its GGUF files do not say, as named constants with their source.

llama.cpp's converter writes Gemma 3's sliding window (512 for 270M), head
sizes and the global RoPE base (1e6) into the GGUF, but not the local layers'
RoPE base nor which layers are global. Both come from the published Gemma 3
configuration: ``Gemma3TextConfig`` in transformers (``rope_local_base_freq``
/ ``rope_parameters["sliding_attention"]`` default 10,000;
``sliding_window_pattern`` 6: layer i is global when (i + 1) % 6 == 0), which
llama.cpp's ``LLM_ARCH_GEMMA3`` loader hard-codes the same way
(``n_swa_pattern = 6``, ``rope_freq_base_train_swa = 10000``).
"""

from __future__ import annotations

import math

LOCAL_ROPE_THETA = 10_000.0  # Gemma3TextConfig.default_theta["local"]
GLOBAL_EVERY = 6  # Gemma3TextConfig sliding_window_pattern: 5 local layers, then 1 global


def embed_scale(d_model: int) -> float:
    """Gemma multiplies token embeddings by sqrt(d_model) (``Gemma3TextScaledWordEmbedding``)."""
    return math.sqrt(d_model)


def global_every(layer_types: list[str]) -> int:
    """The period of a ``layer_types`` list that is "n - 1 sliding, then 1 full", repeated."""
    fulls = [i for i, kind in enumerate(layer_types) if kind == "full_attention"]
    every = fulls[0] + 1 if fulls else len(layer_types) + 1
    expected = ["full_attention" if (i + 1) % every == 0 else "sliding_attention"
                for i in range(len(layer_types))]
    if layer_types != expected:
        raise ValueError("layer_types is not a repeating 'local..., global' pattern")
    return every
