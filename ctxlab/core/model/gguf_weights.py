"""Llama-family and Gemma 3 weights from a GGUF file, dequantized once to float32.

llama.cpp's converter permutes the rows of Llama's ``attn_q``/``attn_k`` so its
RoPE can rotate interleaved pairs; we undo that at load so the runtime uses the
same half-split rotation as Hugging Face checkpoints and one code path serves
both. Gemma files are not permuted (llama.cpp runs them with NeoX RoPE, which
is the half split), and their norm weights are already stored as 1 + w.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.gguf_file import GGUFError, GGUFFile, read_gguf
from ctxlab.core.model import gemma3
from ctxlab.core.model.weights import (
    ModelConfig,
    ModelError,
    ModelWeights,
    f32,
    llama_layer,
)

SUPPORTED_ARCHITECTURES = ("llama", "gemma3")
GEMMA_NORMS = ("attn_q_norm", "attn_k_norm", "post_attention_norm", "post_ffw_norm")


def open_gguf(path: Path) -> GGUFFile:
    """Header, metadata and tensor infos; a malformed or partial file is a ``ModelError``."""
    try:
        gguf = read_gguf(path)
    except GGUFError as exc:
        raise ModelError(str(exc)) from None
    if not gguf.complete:
        raise ModelError(f"{path}: GGUF is truncated: its tensors need more than the "
                         f"{gguf.size:,} bytes the file has (a split .partNN file? "
                         "join the parts first)")
    return gguf


def read_config(gguf: GGUFFile) -> ModelConfig:
    """Architecture and runtime settings from the ``{arch}.*`` metadata keys."""
    try:
        return _config(gguf)
    except GGUFError as exc:
        raise ModelError(str(exc)) from None


def _config(gguf: GGUFFile) -> ModelConfig:
    path = gguf.path
    arch = gguf.get_str("general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise ModelError(f"{path}: GGUF architecture {arch!r} is not supported "
                         f"(ctxlab runs {', '.join(SUPPORTED_ARCHITECTURES)})")
    if gguf.get(f"{arch}.rope.scaling.type", "none") not in ("none", None):
        raise ModelError(f"{path}: RoPE scaling is not supported by ctxlab's runtime")
    n_heads = gguf.require_int(f"{arch}.attention.head_count", minimum=1)
    d_model = gguf.require_int(f"{arch}.embedding_length", minimum=1)
    head_dim = gguf.get_int(f"{arch}.attention.key_length", minimum=1) or d_model // n_heads
    tokens = gguf.get_list("tokenizer.ggml.tokens", str) or []
    shape = Architecture(
        name=gguf.get_str("general.name") or path.stem,
        n_layers=gguf.require_int(f"{arch}.block_count", minimum=1),
        n_heads=n_heads,
        n_kv_heads=gguf.get_int(f"{arch}.attention.head_count_kv", minimum=1) or n_heads,
        head_dim=head_dim,
        d_model=d_model,
        context_length=gguf.require_int(f"{arch}.context_length", minimum=1),
        vocab_size=gguf.get_int(f"{arch}.vocab_size", minimum=1) or len(tokens),
    )
    if shape.n_heads % shape.n_kv_heads or head_dim % 2:
        raise ModelError(f"{path}: {n_heads} heads cannot share {shape.n_kv_heads} KV heads "
                         f"of size {head_dim}")
    eps = gguf.get_float(f"{arch}.attention.layer_norm_rms_epsilon")
    if eps is None:
        raise ModelError(f"{path}: GGUF metadata lacks {arch}.attention.layer_norm_rms_epsilon")
    local: dict = {}
    if arch == "gemma3":
        local = dict(local_window=gguf.require_int(f"{arch}.attention.sliding_window", minimum=1),
                     local_rope_theta=gemma3.LOCAL_ROPE_THETA, global_every=gemma3.GLOBAL_EVERY)
    return ModelConfig(
        arch=shape, family=arch,
        ffn_dim=gguf.require_int(f"{arch}.feed_forward_length", minimum=1),
        norm_eps=eps, rope_theta=gguf.get_float(f"{arch}.rope.freq_base", 10000.0) or 10000.0,
        tied_embeddings="output.weight" not in gguf.tensors, source=str(path),
        licence=gguf.get_str("general.license"), **local,
    )


def load_weights(gguf: GGUFFile, config: ModelConfig) -> ModelWeights:
    """Dequantize every tensor once into the runtime's fused float32 layout."""
    a = config.arch
    q_rows, kv_rows = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim
    d, ffn = a.d_model, config.ffn_dim

    def get(name: str, *shape: int) -> np.ndarray:
        tensor = gguf.tensors.get(name)
        if tensor is None:
            raise ModelError(f"{config.source}: GGUF lacks tensor {name}")
        if tensor.shape != shape:
            raise ModelError(f"{config.source}: tensor {name} has shape {tensor.shape}, "
                             f"the metadata implies {shape}")
        try:
            return gguf.dequantize(name)
        except GGUFError as exc:
            raise ModelError(str(exc)) from None

    is_gemma = config.family == "gemma3"
    norm_sizes = (a.head_dim, a.head_dim, d, d)
    layers = []
    for i in range(a.n_layers):
        p = f"blk.{i}."
        q, k = get(p + "attn_q.weight", q_rows, d), get(p + "attn_k.weight", kv_rows, d)
        if not is_gemma:
            q, k = unpermute_rope_rows(q, a.n_heads), unpermute_rope_rows(k, a.n_kv_heads)
        norms = tuple(get(p + name + ".weight", size) for name, size in
                      zip(GEMMA_NORMS, norm_sizes, strict=True)) if is_gemma else None
        layers.append(llama_layer(
            get(p + "attn_norm.weight", d), q, k, get(p + "attn_v.weight", kv_rows, d),
            get(p + "attn_output.weight", d, q_rows), get(p + "ffn_norm.weight", d),
            get(p + "ffn_gate.weight", ffn, d), get(p + "ffn_up.weight", ffn, d),
            get(p + "ffn_down.weight", d, ffn), gemma_norms=norms,
        ))
    embed = f32(get("token_embd.weight", a.vocab_size, d))
    head = embed if config.tied_embeddings else f32(get("output.weight", a.vocab_size, d))
    return ModelWeights(config, embed, layers, f32(get("output_norm.weight", d)), head,
                        embed_scale=gemma3.embed_scale(d) if is_gemma else 1.0)


def unpermute_rope_rows(weight: np.ndarray, n_heads: int) -> np.ndarray:
    """Invert llama.cpp's ``permute``: per head, interleaved (x0, x1) pairs back to halves."""
    rows, cols = weight.shape
    return weight.reshape(n_heads, rows // n_heads // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)
