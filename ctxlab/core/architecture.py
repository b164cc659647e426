"""A transformer's shape, read from files the user has, and the KV-cache it needs.

Only shapes we can read are used: a ``config.json`` (Hugging Face) or a GGUF's
metadata. Catalogue models publish no architecture, so callers say "unknown"
for them rather than guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ctxlab.core.errors import UserError

FP16_BYTES = 2
CONFIG_MAX_BYTES = 16 << 20  # real configs are a few KiB
# Hugging Face's names for heads, d_model, layers, context and vocabulary.
HF_KEYS = ("num_attention_heads", "hidden_size", "num_hidden_layers", "max_position_embeddings",
           "vocab_size")


class ArchitectureError(UserError, ValueError):
    """A config or GGUF file lacks the fields needed; the message says which."""


@dataclass(frozen=True)
class Architecture:
    name: str
    n_layers: int
    n_heads: int
    n_kv_heads: int  # fewer than n_heads under grouped-query attention
    head_dim: int
    d_model: int
    context_length: int
    vocab_size: int
    parameters: int = 0  # the model's parameter count, where known (0: not known)

    def kv_cache_bytes(self, tokens: int, bytes_per_value: int = FP16_BYTES) -> int:
        """Keys and values for every layer and KV head: 2 x L x H_kv x d_head x T x bytes."""
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * tokens * bytes_per_value


# The bundled local model (HuggingFaceTB/SmolLM2-135M config.json).
SMOLLM2_135M = Architecture(
    name="SmolLM2-135M", n_layers=30, n_heads=9, n_kv_heads=3, head_dim=64, d_model=576,
    context_length=8192, vocab_size=49152, parameters=134_515_008,
)


def from_config_json(path: str | Path) -> Architecture:
    """Read a Hugging Face ``config.json`` (head_dim defaults to d_model / n_heads)."""
    path = Path(path)
    cfg = read_config_json(path)
    text = cfg.get("text_config", cfg)  # multimodal configs nest the language model
    if not isinstance(text, dict):
        raise ArchitectureError(f"{path}: config.json text_config should be an object")
    return config_architecture(text, path, path.parent.name)


def read_config_json(path: Path) -> dict:
    """A ``config.json`` as a dict, read bounded; anything else is an ``ArchitectureError``."""
    from ctxlab.core.json_file import JSONFileError, load_json

    try:
        cfg = load_json(path, what="config.json", max_bytes=CONFIG_MAX_BYTES)
    except JSONFileError as exc:
        raise ArchitectureError(str(exc)) from None
    return cfg


def config_architecture(cfg: dict, path: Path, fallback_name: str, *,
                        keys: tuple[str, ...] = HF_KEYS,
                        default_context: int | None = None) -> Architecture:
    """The shape a config dict describes; ``keys`` name heads/d_model/layers/context/vocab."""
    heads_key, d_key, layers_key, context_key, vocab_key = keys
    n_heads = config_int(cfg, path, heads_key)
    d_model = config_int(cfg, path, d_key)
    name = cfg.get("_name_or_path")
    return Architecture(
        name=name if isinstance(name, str) and name else fallback_name,
        n_layers=config_int(cfg, path, layers_key),
        n_heads=n_heads,
        n_kv_heads=config_int(cfg, path, "num_key_value_heads", n_heads),
        head_dim=config_int(cfg, path, "head_dim", max(d_model // n_heads, 1)),
        d_model=d_model,
        context_length=config_int(cfg, path, context_key, default_context),
        vocab_size=config_int(cfg, path, vocab_key),
    )


def config_int(cfg: dict, path: Path, key: str, default: int | None = None) -> int:
    """A positive integer setting; a string, float, zero or missing value is one clear line."""
    value = cfg.get(key)
    if value is None:
        if default is None:
            raise ArchitectureError(f"{path}: config.json lacks {key}")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArchitectureError(f"{path}: config.json {key} should be an integer, "
                                f"not {json.dumps(value)[:40]}")
    if value < 1:
        raise ArchitectureError(f"{path}: config.json {key} is {value}, it must be at least 1")
    return value


def from_gguf(path: str | Path) -> Architecture:
    """Read the ``{arch}.*`` metadata of a GGUF file (tensors are never loaded)."""
    from ctxlab.core.gguf_file import GGUFError, read_gguf

    path = Path(path)
    try:
        gguf = read_gguf(path, tensors=False)
        arch = gguf.get_str("general.architecture")
        if arch is None:
            raise ArchitectureError(f"{path}: GGUF has no general.architecture")
        n_heads = gguf.require_int(f"{arch}.attention.head_count", minimum=1)
        d_model = gguf.require_int(f"{arch}.embedding_length", minimum=1)
        tokens = gguf.get("tokenizer.ggml.tokens")
        return Architecture(
            name=gguf.get_str("general.name") or path.stem,
            n_layers=gguf.require_int(f"{arch}.block_count", minimum=1),
            n_heads=n_heads,
            n_kv_heads=gguf.get_int(f"{arch}.attention.head_count_kv", minimum=1) or n_heads,
            head_dim=gguf.get_int(f"{arch}.attention.key_length", minimum=1) or d_model // n_heads,
            d_model=d_model,
            context_length=gguf.require_int(f"{arch}.context_length", minimum=1),
            vocab_size=gguf.get_int(f"{arch}.vocab_size", minimum=1)
            or (len(tokens) if isinstance(tokens, list) else 0),
        )
    except GGUFError as exc:
        raise ArchitectureError(str(exc)) from None


def from_file(path: str | Path) -> Architecture:
    """A GGUF file, a ``config.json``, or a directory holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    if path.suffix.lower() == ".gguf":
        return from_gguf(path)
    return from_config_json(path)
