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

    def kv_cache_bytes(self, tokens: int, bytes_per_value: int = FP16_BYTES) -> int:
        """Keys and values for every layer and KV head: 2 x L x H_kv x d_head x T x bytes."""
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * tokens * bytes_per_value


# The bundled local model (HuggingFaceTB/SmolLM2-135M config.json).
SMOLLM2_135M = Architecture(
    name="SmolLM2-135M", n_layers=30, n_heads=9, n_kv_heads=3, head_dim=64, d_model=576,
    context_length=8192, vocab_size=49152,
)


def from_config_json(path: str | Path) -> Architecture:
    """Read a Hugging Face ``config.json`` (head_dim defaults to d_model / n_heads)."""
    path = Path(path)
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchitectureError(f"{path}: cannot read config.json ({exc})") from None
    cfg = cfg.get("text_config", cfg)  # multimodal configs nest the language model
    n_heads = _field(cfg, path, "num_attention_heads")
    d_model = _field(cfg, path, "hidden_size")
    return Architecture(
        name=cfg.get("_name_or_path") or path.parent.name,
        n_layers=_field(cfg, path, "num_hidden_layers"),
        n_heads=n_heads,
        n_kv_heads=int(cfg.get("num_key_value_heads") or n_heads),
        head_dim=int(cfg.get("head_dim") or d_model // n_heads),
        d_model=d_model,
        context_length=_field(cfg, path, "max_position_embeddings"),
        vocab_size=_field(cfg, path, "vocab_size"),
    )


def from_gguf(path: str | Path) -> Architecture:
    """Read the ``{arch}.*`` metadata of a GGUF file (tensors are never loaded)."""
    from gguf import GGUFReader

    path = Path(path)
    try:
        reader = GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise ArchitectureError(f"{path}: not a readable GGUF file ({exc})") from None

    def value(key: str):
        field = reader.get_field(key)
        return None if field is None else field.contents()

    arch = value("general.architecture")
    if arch is None:
        raise ArchitectureError(f"{path}: GGUF has no general.architecture")

    def number(key: str) -> int:
        found = value(f"{arch}.{key}")
        if found is None:
            raise ArchitectureError(f"{path}: GGUF metadata lacks {arch}.{key}")
        return int(found)

    n_heads = number("attention.head_count")
    d_model = number("embedding_length")
    kv_heads = value(f"{arch}.attention.head_count_kv")
    head_dim = value(f"{arch}.attention.key_length")
    tokens = reader.get_field("tokenizer.ggml.tokens")
    vocab = value(f"{arch}.vocab_size") or (len(tokens.data) if tokens is not None else 0)
    return Architecture(
        name=value("general.name") or path.stem,
        n_layers=number("block_count"),
        n_heads=n_heads,
        n_kv_heads=int(kv_heads or n_heads),
        head_dim=int(head_dim or d_model // n_heads),
        d_model=d_model,
        context_length=number("context_length"),
        vocab_size=int(vocab),
    )


def from_file(path: str | Path) -> Architecture:
    """A GGUF file, a ``config.json``, or a directory holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    if path.suffix.lower() == ".gguf":
        return from_gguf(path)
    return from_config_json(path)


def _field(cfg: dict, path: Path, key: str) -> int:
    if cfg.get(key) is None:
        raise ArchitectureError(f"{path}: config.json lacks {key}")
    return int(cfg[key])
