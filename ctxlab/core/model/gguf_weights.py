"""Llama-family weights from a GGUF file, dequantized once to float32.

llama.cpp's converter permutes the rows of ``attn_q``/``attn_k`` so its RoPE
can rotate interleaved pairs; we undo that at load so the runtime uses the
same half-split rotation as Hugging Face checkpoints and one code path serves both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.model.weights import (
    ModelConfig,
    ModelError,
    ModelWeights,
    f32,
    linear_in_out,
    llama_layer,
)

SUPPORTED_ARCHITECTURES = ("llama",)


def open_reader(path: Path) -> Any:
    from gguf import GGUFReader

    try:
        return GGUFReader(str(path))
    except Exception as exc:
        raise ModelError(f"{path}: not a readable GGUF file ({exc})") from None


def read_config(reader: Any, path: Path) -> ModelConfig:
    """Architecture and runtime settings from the ``{arch}.*`` metadata keys."""

    def value(key: str, default: Any = None) -> Any:
        found = reader.get_field(key)
        return default if found is None else found.contents()

    arch = value("general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise ModelError(f"{path}: GGUF architecture {arch!r} is not supported "
                         f"(ctxlab runs {', '.join(SUPPORTED_ARCHITECTURES)})")
    if value(f"{arch}.rope.scaling.type", "none") not in ("none", None):
        raise ModelError(f"{path}: RoPE scaling is not supported by ctxlab's runtime")

    def number(key: str) -> Any:
        found = value(f"{arch}.{key}")
        if found is None:
            raise ModelError(f"{path}: GGUF metadata lacks {arch}.{key}")
        return found

    n_heads = int(number("attention.head_count"))
    d_model = int(number("embedding_length"))
    head_dim = int(value(f"{arch}.attention.key_length") or d_model // n_heads)
    names = {t.name for t in reader.tensors}
    vocab = value(f"{arch}.vocab_size") or len(value("tokenizer.ggml.tokens", []))
    shape = Architecture(
        name=str(value("general.name") or path.stem),
        n_layers=int(number("block_count")),
        n_heads=n_heads,
        n_kv_heads=int(value(f"{arch}.attention.head_count_kv") or n_heads),
        head_dim=head_dim,
        d_model=d_model,
        context_length=int(number("context_length")),
        vocab_size=int(vocab),
    )
    return ModelConfig(
        arch=shape, family="llama", ffn_dim=int(number("feed_forward_length")),
        norm_eps=float(number("attention.layer_norm_rms_epsilon")),
        rope_theta=float(value(f"{arch}.rope.freq_base", 10000.0)),
        tied_embeddings="output.weight" not in names, source=str(path),
        licence=value("general.license"),
    )


def load_weights(reader: Any, config: ModelConfig) -> ModelWeights:
    """Dequantize every tensor once into the runtime's fused float32 layout."""
    from gguf.quants import dequantize

    tensors = {t.name: t for t in reader.tensors}

    def get(name: str) -> np.ndarray:
        if name not in tensors:
            raise ModelError(f"{config.source}: GGUF lacks tensor {name}")
        t = tensors[name]
        return dequantize(t.data, t.tensor_type).reshape(tuple(reversed(t.shape.tolist())))

    a = config.arch
    layers = []
    for i in range(a.n_layers):
        p = f"blk.{i}."
        q = unpermute_rope_rows(get(p + "attn_q.weight"), a.n_heads)
        k = unpermute_rope_rows(get(p + "attn_k.weight"), a.n_kv_heads)
        layers.append(llama_layer(
            get(p + "attn_norm.weight"), q, k, get(p + "attn_v.weight"),
            get(p + "attn_output.weight"), get(p + "ffn_norm.weight"),
            get(p + "ffn_gate.weight"), get(p + "ffn_up.weight"), get(p + "ffn_down.weight"),
        ))
    embed = f32(get("token_embd.weight"))
    head = embed.T if config.tied_embeddings else linear_in_out(get("output.weight"))
    return ModelWeights(config, embed, layers, f32(get("output_norm.weight")), head)


def unpermute_rope_rows(weight: np.ndarray, n_heads: int) -> np.ndarray:
    """Invert llama.cpp's ``permute``: per head, interleaved (x0, x1) pairs back to halves."""
    rows, cols = weight.shape
    return weight.reshape(n_heads, rows // n_heads // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)
