"""Hugging Face checkpoints (``config.json`` + ``*.safetensors``): Llama family, Gemma 3, GPT-2.

The safetensors format is an 8-byte header length, a JSON header and raw
little-endian arrays, so we read it with numpy directly: the default install
needs neither torch nor the ``safetensors`` package.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from ctxlab.core.architecture import (
    ArchitectureError,
    config_architecture,
    config_int,
    read_config_json,
)
from ctxlab.core.model import gemma3
from ctxlab.core.model.weights import (
    LayerWeights,
    ModelConfig,
    ModelError,
    ModelWeights,
    f32,
    llama_layer,
)

LLAMA_TYPES = ("llama", "mistral", "qwen2")
GEMMA3_TYPES = ("gemma3_text",)
_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16}
MAX_HEADER_BYTES = 100_000_000  # the safetensors library's own limit


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in one ``.safetensors`` file as a float32 array (memory-mapped, then cast)."""
    header, base = read_header(path)
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    tensors = {}
    for name, (dtype_name, shape, start, end) in header.items():
        dtype = np.dtype(_DTYPES[dtype_name]).newbyteorder("<")
        data = raw[base + start : base + end].view(dtype)
        if dtype_name == "BF16":  # bfloat16 is the top half of a float32
            data = (data.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = data.reshape(shape).astype(np.float32, copy=False)
    return tensors


def read_header(path: Path) -> tuple[dict[str, tuple[str, tuple[int, ...], int, int]], int]:
    """The validated header: name -> (dtype, shape, start, end), and where the data begins.

    The header length is bounded by the file size (and 100 MB, as the safetensors
    library does) before it is read, and every tensor must lie inside the file
    with exactly the bytes its shape needs.
    """
    from ctxlab.core.json_file import JSONFileError, parse_json

    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise ModelError(f"{path}: not a safetensors file (too short)")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > min(size - 8, MAX_HEADER_BYTES):
                raise ModelError(f"{path}: not a safetensors file (its header claims "
                                 f"{header_len:,} bytes of a {size:,}-byte file)")
            raw_header = handle.read(header_len)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        header = parse_json(raw_header, f"{path}: safetensors header")
    except JSONFileError as exc:
        raise ModelError(f"{exc} (is it really a .safetensors file?)") from None
    data_size = size - 8 - header_len
    checked = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        checked[name] = _tensor_entry(path, name, meta, data_size)
    return checked, 8 + header_len


def _tensor_entry(path: Path, name: str, meta, data_size: int):
    def bad(why: str) -> ModelError:
        return ModelError(f"{path}: safetensors tensor {name!r} {why}")

    if not isinstance(meta, dict):
        raise bad("is not described by an object")
    dtype, shape, offsets = meta.get("dtype"), meta.get("shape"), meta.get("data_offsets")
    if dtype not in _DTYPES:
        raise bad(f"has unsupported dtype {str(dtype)[:20]!r}")
    if not (isinstance(shape, list) and all(_natural(d) for d in shape)):
        raise bad("has no valid shape")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_natural, offsets))):
        raise bad("has no valid data_offsets")
    start, end = offsets
    need = int(np.prod(shape, dtype=object)) * np.dtype(_DTYPES[dtype]).itemsize
    if not start <= end <= data_size or end - start != need:
        raise bad(f"claims bytes {start:,}..{end:,}; its shape needs {need:,} and the file "
                  f"holds {data_size:,}")
    return dtype, tuple(shape), start, end


def _natural(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_checkpoint(directory: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``config.json`` and the merged tensors of every shard in ``directory``."""
    try:
        config = read_config_json(directory / "config.json")
    except ArchitectureError as exc:
        raise ModelError(str(exc)) from None
    shards = sorted(directory.glob("*.safetensors"))
    if not shards:
        raise ModelError(f"{directory}: no *.safetensors files (ctxlab cannot read .bin files)")
    tensors: dict[str, np.ndarray] = {}
    for shard in shards:
        tensors.update(read_safetensors(shard))
    return config, tensors


def load_checkpoint(directory: Path) -> ModelWeights:
    """Weights of a Llama-family or GPT-2 checkpoint directory."""
    config, tensors = read_checkpoint(directory)
    kind = config.get("model_type")
    try:
        if kind in LLAMA_TYPES or kind in GEMMA3_TYPES:
            return _llama(config, tensors, directory)
        if kind == "gpt2":
            return _gpt2(config, tensors, directory)
    except ArchitectureError as exc:
        raise ModelError(str(exc)) from None
    raise ModelError(f"{directory}: model_type {str(kind)[:40]!r} is not supported "
                     f"(ctxlab runs {', '.join(LLAMA_TYPES + GEMMA3_TYPES)}, gpt2)")


def _getter(tensors: dict[str, np.ndarray], directory: Path, prefixes: tuple[str, ...]):
    def get(name: str, *shape: int) -> np.ndarray:
        for prefix in prefixes:
            if prefix + name in tensors:
                found = tensors[prefix + name]
                if found.shape != shape:
                    raise ModelError(f"{directory}: tensor {name} has shape {found.shape}, "
                                     f"config.json implies {shape}")
                return found
        raise ModelError(f"{directory}: checkpoint lacks tensor {name}")

    return get


def _number(config: dict, path: Path, key: str, default: float) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(f"{path}: config.json {key} should be a number")
    return float(value)


def _rope_theta(config: dict, path: Path, layer_type: str = "full_attention",
                default: float = 10000.0) -> float:
    """The RoPE base, from transformers 5's ``rope_parameters`` (per layer type for Gemma 3)."""
    params = config.get("rope_parameters") or {}
    if isinstance(params, dict) and isinstance(params.get(layer_type), dict):
        params = params[layer_type]
    scaling = config.get("rope_scaling") or params
    if not isinstance(params, dict) or not isinstance(scaling, dict):
        raise ModelError(f"{path}: config.json rope_scaling should be an object")
    if scaling.get("rope_type", scaling.get("type", "default")) not in ("default", None):
        raise ModelError("RoPE scaling is not supported by ctxlab's runtime")
    legacy = "rope_local_base_freq" if layer_type == "sliding_attention" else "rope_theta"
    return _number(params, path, "rope_theta", _number(config, path, legacy, default))


def _gemma3_settings(config: dict, path: Path) -> dict:
    """Local window, layer pattern, local RoPE base and query scale of a Gemma 3 config."""
    for cap in ("final_logit_softcapping", "attn_logit_softcapping"):
        if config.get(cap) is not None:
            raise ModelError(f"{path}: {cap} is not supported by ctxlab's runtime")
    types = config.get("layer_types")
    try:
        every = gemma3.global_every(types) if types else gemma3.GLOBAL_EVERY
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{path}: config.json {exc}") from None
    return dict(local_window=config_int(config, path, "sliding_window"), global_every=every,
                local_rope_theta=_rope_theta(config, path, "sliding_attention",
                                             gemma3.LOCAL_ROPE_THETA),
                attn_scale=_number(config, path, "query_pre_attn_scalar", 256) ** -0.5)


def _llama(config: dict, tensors: dict[str, np.ndarray], directory: Path) -> ModelWeights:
    get = _getter(tensors, directory, ("model.", ""))
    path = directory / "config.json"
    shape = config_architecture(config, path, directory.name, default_context=2048)
    tied = "lm_head.weight" not in tensors
    ffn = config_int(config, path, "intermediate_size")
    is_gemma = config["model_type"] in GEMMA3_TYPES
    cfg = ModelConfig(arch=shape, family="gemma3" if is_gemma else "llama", ffn_dim=ffn,
                      norm_eps=_number(config, path, "rms_norm_eps", 1e-6),
                      rope_theta=_rope_theta(config, path, default=1e6 if is_gemma else 10000.0),
                      tied_embeddings=tied, source=str(directory),
                      **(_gemma3_settings(config, path) if is_gemma else {}))

    def norm(name: str, size: int) -> np.ndarray:  # Gemma's RMSNorm multiplies by (1 + w)
        return get(name, size) + np.float32(1.0) if is_gemma else get(name, size)

    d, rows = shape.d_model, {"q": shape.n_heads * shape.head_dim,
                              "k": shape.n_kv_heads * shape.head_dim,
                              "v": shape.n_kv_heads * shape.head_dim}
    layers = []
    for i in range(shape.n_layers):
        p = f"layers.{i}."
        proj = {x: p + f"self_attn.{x}_proj." for x in "qkv"}
        has_bias = all(f"model.{name}bias" in tensors or name + "bias" in tensors
                       for name in proj.values())
        q, k, v = (get(name + "weight", rows[x], d) for x, name in proj.items())
        mlp_norm = "pre_feedforward_layernorm" if is_gemma else "post_attention_layernorm"
        gemma_norms = tuple(norm(p + name + ".weight", size) for name, size in (
            ("self_attn.q_norm", shape.head_dim), ("self_attn.k_norm", shape.head_dim),
            ("post_attention_layernorm", d), ("post_feedforward_layernorm", d))
        ) if is_gemma else None
        layers.append(llama_layer(
            norm(p + "input_layernorm.weight", d), q, k, v,
            get(p + "self_attn.o_proj.weight", d, rows["q"]),
            norm(p + mlp_norm + ".weight", d),
            get(p + "mlp.gate_proj.weight", ffn, d), get(p + "mlp.up_proj.weight", ffn, d),
            get(p + "mlp.down_proj.weight", d, ffn),
            qkv_bias=np.concatenate([get(name + "bias", rows[x]) for x, name in proj.items()])
            if has_bias else None, gemma_norms=gemma_norms,
        ))
    embed = f32(get("embed_tokens.weight", shape.vocab_size, d))
    head = embed if tied else f32(get("lm_head.weight", shape.vocab_size, d))
    return ModelWeights(cfg, embed, layers, f32(norm("norm.weight", d)), head,
                        embed_scale=gemma3.embed_scale(d) if is_gemma else 1.0)


GPT2_KEYS = ("n_head", "n_embd", "n_layer", "n_positions", "vocab_size")


def _gpt2(config: dict, tensors: dict[str, np.ndarray], directory: Path) -> ModelWeights:
    """GPT-2 stores Conv1D weights as ``(in, out)`` (turned to ``(out, in)`` here); q|k|v are
    fused in ``c_attn``."""
    path = directory / "config.json"
    activation = config.get("activation_function", "gelu_new")
    if activation not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ModelError(f"{directory}: GPT-2 activation {str(activation)[:40]!r} "
                         "is not supported (ctxlab runs the tanh GELU)")
    get = _getter(tensors, directory, ("transformer.", ""))
    shape = config_architecture({**config, "num_key_value_heads": None, "head_dim": None},
                                path, directory.name, keys=GPT2_KEYS, default_context=1024)
    d = shape.d_model
    ffn = config_int(config, path, "n_inner", 4 * d)
    cfg = ModelConfig(arch=shape, family="gpt2", ffn_dim=ffn,
                      norm_eps=_number(config, path, "layer_norm_epsilon", 1e-5),
                      source=str(directory))
    layers = []
    for i in range(shape.n_layers):
        p = f"h.{i}."
        layers.append(LayerWeights(
            attn_norm=f32(get(p + "ln_1.weight", d)), attn_norm_bias=f32(get(p + "ln_1.bias", d)),
            qkv=f32(get(p + "attn.c_attn.weight", d, 3 * d).T),
            qkv_bias=f32(get(p + "attn.c_attn.bias", 3 * d)),
            out=f32(get(p + "attn.c_proj.weight", d, d).T),
            out_bias=f32(get(p + "attn.c_proj.bias", d)),
            mlp_norm=f32(get(p + "ln_2.weight", d)), mlp_norm_bias=f32(get(p + "ln_2.bias", d)),
            up=f32(get(p + "mlp.c_fc.weight", d, ffn).T),
            up_bias=f32(get(p + "mlp.c_fc.bias", ffn)),
            down=f32(get(p + "mlp.c_proj.weight", ffn, d).T),
            down_bias=f32(get(p + "mlp.c_proj.bias", d)),
        ))
    embed = f32(get("wte.weight", shape.vocab_size, d))
    return ModelWeights(cfg, embed, layers, f32(get("ln_f.weight", d)), embed,
                        final_norm_bias=f32(get("ln_f.bias", d)),
                        positions=f32(get("wpe.weight", shape.context_length, d)))
