"""Find, load (once) and cache a local model: a bundled GGUF or a user's checkpoint.

``load_model()`` with no argument gives SmolLM2-135M-Instruct, fetching it on
first use; ``load_model("gemma3-270m")`` gives Gemma 3 270M (base) the same
way; a ``*.gguf`` path or a Hugging Face checkpoint directory
(``config.json`` + ``*.safetensors``) works too.
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
GEMMA_ASSET = "gemma3-270m-q4_k_m"


@dataclass(frozen=True)
class BundledModel:
    """A model ctxlab can fetch by name: its asset and how to introduce it."""

    name: str  # what ``--model`` takes
    asset: str
    title: str
    aliases: tuple[str, ...] = ()


BUNDLED: dict[str, BundledModel] = {m.name: m for m in (
    BundledModel("smollm2", DEFAULT_ASSET, "SmolLM2-135M-Instruct (98 MB, Apache-2.0)",
                 ("smollm2-135m", "smollm2-135m-instruct")),
    BundledModel("gemma3-270m", GEMMA_ASSET,
                 "Gemma 3 270M, base (253 MB, Gemma Terms of Use)", ("gemma3", "gemma-3-270m")),
)}
_ALIASES = {spelling: m.asset for m in BUNDLED.values() for spelling in (m.name, *m.aliases)}

ProgressFn = assets.ProgressFn  # (bytes_done, bytes_total)


@dataclass
class LocalModel:
    """A runnable model with its own tokenizer and, for chat models, its chat template."""

    name: str
    runtime: Transformer
    tokenizer: Tokenizer
    chat_template: str | None = None
    prefix_ids: tuple[int, ...] = ()  # ids every input starts with (Gemma's <bos>)

    @property
    def config(self) -> ModelConfig:
        return self.runtime.config

    @property
    def is_chatml(self) -> bool:
        """ChatML chat models (SmolLM2-Instruct, Qwen) wrap turns in ``<|im_start|>``."""
        return bool(self.chat_template and "<|im_start|>" in self.chat_template)

    def stop_ids(self) -> set[int]:
        """Tokens that end an answer: end-of-turn / end-of-text specials."""
        names = ("<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<eos>", "<end_of_turn>")
        specials = self.tokenizer.info.special_tokens
        return {specials[n] for n in names if n in specials}


_lock = threading.Lock()
_cache: dict[str, LocalModel] = {}


def is_default_present() -> bool:
    return assets.is_present(DEFAULT_ASSET)


def bundled(source: str | Path | None) -> BundledModel | None:
    """The bundled model ``source`` names (``None`` is the default), or None for a path."""
    key = DEFAULT_MODEL if source is None else str(source).lower()
    asset = _ALIASES.get(key)
    return next((m for m in BUNDLED.values() if m.asset == asset), None)


def resolve(source: str | Path | None, *, fetch: bool = True,
            progress: ProgressFn | None = None) -> Path:
    """The file or directory ``source`` names (``None`` = the default model, or a bundled name)."""
    known = bundled(source)
    if known is not None:
        if not assets.is_present(known.asset) and not fetch:
            hint = "" if known.name == DEFAULT_MODEL else f" {known.name}"
            raise ModelError(f"{known.title} is not downloaded: run `ctxlab model pull{hint}`")
        return assets.ensure(known.asset, progress=progress)
    path = Path(str(source)).expanduser()
    if not path.exists():
        names = ", ".join(BUNDLED)
        raise ModelError(f"no model at {path}: give a .gguf file, a checkpoint directory "
                         f"(config.json + *.safetensors), or a bundled model ({names})")
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
    bos = gguf.get_int("tokenizer.ggml.bos_token_id")
    adds_bos = bool(gguf.get("tokenizer.ggml.add_bos_token", False))
    prefix = (bos,) if adds_bos and bos is not None else ()
    return LocalModel(config.arch.name, Transformer(weights), tokenizer,
                      gguf.get_str("tokenizer.chat_template"), prefix)


def _load_checkpoint(path: Path) -> LocalModel:
    from ctxlab.core.json_file import JSONFileError, load_json
    from ctxlab.core.model.safetensors_weights import load_checkpoint
    from ctxlab.core.tokenizers.hf_backend import HFTokenizer

    if not (path / "tokenizer.json").is_file():
        raise ModelError(f"{path}: checkpoint has no tokenizer.json next to config.json")
    weights = load_checkpoint(path)
    tokenizer = HFTokenizer.from_file(path / "tokenizer.json", name=path.name)
    template = None
    settings = path / "tokenizer_config.json"
    if settings.is_file():
        try:
            template = load_json(settings, what="tokenizer_config.json").get("chat_template")
        except JSONFileError as exc:
            raise ModelError(str(exc)) from None
    return LocalModel(path.name, Transformer(weights), tokenizer,
                      template if isinstance(template, str) else None)
