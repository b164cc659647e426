"""Find, load (once) and cache a local model: the default SmolLM2 GGUF or a user's checkpoint.

``load_model()`` with no argument gives SmolLM2-135M-Instruct, fetching it on
first use; a ``*.gguf`` path or a Hugging Face checkpoint directory
(``config.json`` + ``*.safetensors``) works the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ctxlab.core import assets
from ctxlab.core.model import DEFAULT_MODEL
from ctxlab.core.model.runtime import Transformer
from ctxlab.core.model.weights import ModelConfig, ModelError
from ctxlab.core.tokenizers.base import Tokenizer, TokenizerError

DEFAULT_ASSET = "smollm2-135m-instruct-q4_1"
_ALIASES = {DEFAULT_MODEL: DEFAULT_ASSET, "smollm2-135m": DEFAULT_ASSET,
            "smollm2-135m-instruct": DEFAULT_ASSET}

ProgressFn = assets.ProgressFn  # (bytes_done, bytes_total)


@dataclass
class LocalModel:
    """A runnable model with its own tokenizer and, for chat models, its chat template."""

    name: str
    runtime: Transformer
    tokenizer: Tokenizer
    chat_template: str | None = None

    @property
    def config(self) -> ModelConfig:
        return self.runtime.config

    @property
    def is_chatml(self) -> bool:
        """ChatML chat models (SmolLM2-Instruct, Qwen) wrap turns in ``<|im_start|>``."""
        return bool(self.chat_template and "<|im_start|>" in self.chat_template)

    def stop_ids(self) -> set[int]:
        """Tokens that end an answer: end-of-turn / end-of-text specials."""
        names = ("<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>")
        specials = self.tokenizer.info.special_tokens
        return {specials[n] for n in names if n in specials}


_lock = threading.Lock()
_cache: dict[str, LocalModel] = {}


def is_default_present() -> bool:
    return assets.is_present(DEFAULT_ASSET)


def resolve(source: str | Path | None, *, fetch: bool = True,
            progress: ProgressFn | None = None) -> Path:
    """The file or directory ``source`` names (``None`` or an alias = the default model)."""
    key = DEFAULT_MODEL if source is None else str(source)
    if key.lower() in _ALIASES:
        asset = _ALIASES[key.lower()]
        if not assets.is_present(asset) and not fetch:
            raise ModelError("the default model is not downloaded: run `ctxlab model pull`")
        return assets.ensure(asset, progress=progress)
    path = Path(key).expanduser()
    if not path.exists():
        raise ModelError(f"no model at {path}: give a .gguf file, a checkpoint directory "
                         "(config.json + *.safetensors), or omit it for SmolLM2-135M")
    return path


def load_model(source: str | Path | None = None, *, fetch: bool = True,
               progress: ProgressFn | None = None) -> LocalModel:
    """Load (once per process) the model ``source`` names; thread-safe."""
    path = resolve(source, fetch=fetch, progress=progress)
    key = str(path.resolve())
    with _lock:
        if key not in _cache:
            _cache[key] = _load_path(path)
        return _cache[key]


def _load_path(path: Path) -> LocalModel:
    if path.is_file() and path.suffix.lower() == ".gguf":
        return _load_gguf(path)
    if path.is_dir() and (path / "config.json").is_file():
        return _load_checkpoint(path)
    raise ModelError(f"{path}: not a model (expected a .gguf file or a directory with config.json)")


def _load_gguf(path: Path) -> LocalModel:
    from ctxlab.core.model import gguf_weights
    from ctxlab.core.tokenizers.gguf_backend import GGUFTokenizer

    gguf = gguf_weights.open_gguf(path)
    config = gguf_weights.read_config(gguf)
    try:
        tokenizer = GGUFTokenizer.from_gguf(gguf, name=path.stem)
    except TokenizerError as exc:
        raise ModelError(str(exc)) from None
    weights = gguf_weights.load_weights(gguf, config)
    return LocalModel(config.arch.name, Transformer(weights), tokenizer, tokenizer.chat_template)


def _load_checkpoint(path: Path) -> LocalModel:
    import json

    from ctxlab.core.model.safetensors_weights import load_checkpoint
    from ctxlab.core.tokenizers.hf_backend import HFTokenizer

    if not (path / "tokenizer.json").is_file():
        raise ModelError(f"{path}: checkpoint has no tokenizer.json next to config.json")
    weights = load_checkpoint(path)
    tokenizer = HFTokenizer.from_file(path / "tokenizer.json", name=path.name)
    template = None
    settings = path / "tokenizer_config.json"
    if settings.is_file():
        template = json.loads(settings.read_text(encoding="utf-8")).get("chat_template")
    return LocalModel(path.name, Transformer(weights), tokenizer,
                      template if isinstance(template, str) else None)
