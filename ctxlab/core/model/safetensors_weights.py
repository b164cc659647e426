"""Hugging Face checkpoints (``config.json`` + ``*.safetensors``) for Llama-family and GPT-2 models.

The safetensors format is an 8-byte header length, a JSON header and raw
little-endian arrays, so we read it with numpy directly: the default install
needs neither torch nor the ``safetensors`` package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ctxlab.core.architecture import Architecture
from ctxlab.core.model.weights import (
    LayerWeights,
    ModelConfig,
    ModelError,
    ModelWeights,
    f32,
    linear_in_out,
    llama_layer,
)

LLAMA_TYPES = ("llama", "mistral", "qwen2")
_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in one ``.safetensors`` file as a float32 array (memory-mapped, then cast)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    header_len = int(raw[:8].view("<u8")[0])
    header = json.loads(bytes(raw[8 : 8 + header_len]))
    base = 8 + header_len
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in _DTYPES:
            raise ModelError(f"{path}: tensor {name} has unsupported dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        dtype = np.dtype(_DTYPES[meta["dtype"]]).newbyteorder("<")
        data = raw[base + start : base + end].view(dtype)
        if meta["dtype"] == "BF16":  # bfloat16 is the top half of a float32
            data = (data.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = data.reshape(meta["shape"]).astype(np.float32, copy=False)
    return tensors


def read_checkpoint(directory: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``config.json`` and the merged tensors of every shard in ``directory``."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory}: cannot read config.json ({exc})") from None
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
    if kind in LLAMA_TYPES:
        return _llama(config, tensors, directory)
    if kind == "gpt2":
        return _gpt2(config, tensors, directory)
    raise ModelError(f"{directory}: model_type {kind!r} is not supported "
                     f"(ctxlab runs {', '.join(LLAMA_TYPES)}, gpt2)")


def _getter(tensors: dict[str, np.ndarray], directory: Path, prefixes: tuple[str, ...]):
    def get(name: str) -> np.ndarray:
        for prefix in prefixes:
            if prefix + name in tensors:
                return tensors[prefix + name]
        raise ModelError(f"{directory}: checkpoint lacks tensor {name}")

    return get


def _rope_theta(config: dict) -> float:
    params = config.get("rope_parameters") or {}
    scaling = config.get("rope_scaling") or params
    if scaling.get("rope_type", scaling.get("type", "default")) not in ("default", None):
        raise ModelError("RoPE scaling is not supported by ctxlab's runtime")
    return float(params.get("rope_theta", config.get("rope_theta", 10000.0)))


def _llama(config: dict, tensors: dict[str, np.ndarray], directory: Path) -> ModelWeights:
    get = _getter(tensors, directory, ("model.", ""))
    n_heads = int(config["num_attention_heads"])
    d_model = int(config["hidden_size"])
    shape = Architecture(
        name=config.get("_name_or_path") or directory.name,
        n_layers=int(config["num_hidden_layers"]), n_heads=n_heads,
        n_kv_heads=int(config.get("num_key_value_heads") or n_heads),
        head_dim=int(config.get("head_dim") or d_model // n_heads), d_model=d_model,
        context_length=int(config.get("max_position_embeddings", 2048)),
        vocab_size=int(config["vocab_size"]),
    )
    tied = "lm_head.weight" not in tensors
    cfg = ModelConfig(arch=shape, family="llama", ffn_dim=int(config["intermediate_size"]),
                      norm_eps=float(config.get("rms_norm_eps", 1e-6)),
                      rope_theta=_rope_theta(config), tied_embeddings=tied, source=str(directory))
    layers = []
    for i in range(shape.n_layers):
        p = f"layers.{i}."
        proj = [p + f"self_attn.{x}_proj." for x in "qkv"]
        has_bias = all(f"model.{name}bias" in tensors or name + "bias" in tensors for name in proj)
        q, k, v = (get(name + "weight") for name in proj)
        layers.append(llama_layer(
            get(p + "input_layernorm.weight"), q, k, v,
            get(p + "self_attn.o_proj.weight"), get(p + "post_attention_layernorm.weight"),
            get(p + "mlp.gate_proj.weight"), get(p + "mlp.up_proj.weight"),
            get(p + "mlp.down_proj.weight"),
            qkv_bias=np.concatenate([get(name + "bias") for name in proj]) if has_bias else None,
        ))
    embed = f32(get("embed_tokens.weight"))
    head = embed.T if tied else linear_in_out(tensors["lm_head.weight"])
    return ModelWeights(cfg, embed, layers, f32(get("norm.weight")), head)


def _gpt2(config: dict, tensors: dict[str, np.ndarray], directory: Path) -> ModelWeights:
    """GPT-2 stores Conv1D weights already as ``(in, out)``; q|k|v are fused in ``c_attn``."""
    if config.get("activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ModelError(f"{directory}: GPT-2 activation {config['activation_function']!r} "
                         "is not supported (ctxlab runs the tanh GELU)")
    get = _getter(tensors, directory, ("transformer.", ""))
    d_model, n_heads = int(config["n_embd"]), int(config["n_head"])
    shape = Architecture(
        name=config.get("_name_or_path") or directory.name, n_layers=int(config["n_layer"]),
        n_heads=n_heads, n_kv_heads=n_heads, head_dim=d_model // n_heads, d_model=d_model,
        context_length=int(config.get("n_positions", 1024)), vocab_size=int(config["vocab_size"]),
    )
    cfg = ModelConfig(arch=shape, family="gpt2", ffn_dim=int(config.get("n_inner") or 4 * d_model),
                      norm_eps=float(config.get("layer_norm_epsilon", 1e-5)), source=str(directory))
    layers = []
    for i in range(shape.n_layers):
        p = f"h.{i}."
        layers.append(LayerWeights(
            attn_norm=f32(get(p + "ln_1.weight")), attn_norm_bias=f32(get(p + "ln_1.bias")),
            qkv=f32(get(p + "attn.c_attn.weight")), qkv_bias=f32(get(p + "attn.c_attn.bias")),
            out=f32(get(p + "attn.c_proj.weight")), out_bias=f32(get(p + "attn.c_proj.bias")),
            mlp_norm=f32(get(p + "ln_2.weight")), mlp_norm_bias=f32(get(p + "ln_2.bias")),
            up=f32(get(p + "mlp.c_fc.weight")), up_bias=f32(get(p + "mlp.c_fc.bias")),
            down=f32(get(p + "mlp.c_proj.weight")), down_bias=f32(get(p + "mlp.c_proj.bias")),
        ))
    embed = f32(get("wte.weight"))
    return ModelWeights(cfg, embed, layers, f32(get("ln_f.weight")), embed.T,
                        final_norm_bias=f32(get("ln_f.bias")), positions=f32(get("wpe.weight")))
