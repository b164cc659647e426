"""The local models a user can pick: ``--model``, the TUI's model picker and `ctxlab model list`.

The bundled models come from the loader's own table; a ``.gguf`` file or a
checkpoint directory the user names is a choice too. Each choice knows which
tokenizer splits text as the model does (so a view can show the model's own
tokens) and, for a bundled model, the asset a first use fetches and its terms.
Nothing is loaded here: picking is cheap, running is the loader's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ctxlab.core import assets
from ctxlab.core.model.loader import BUNDLED, BundledModel, bundled
from ctxlab.core.model.weights import ModelError
from ctxlab.core.tokenizers.registry import resolve_name, specs


@dataclass(frozen=True)
class ModelChoice:
    name: str  # what ``--model`` takes: a bundled model's name, or the path given
    title: str  # one line for a list: what it is, its size and licence
    tokenizer: str  # a tokenizer name (or path) the registry loads, splitting as the model does
    asset: str | None = None  # the file a bundled model is fetched into; None for a path

    @property
    def label(self) -> str:
        """The title's name alone, for a sentence: "Gemma 3 270M", "SmolLM2-135M-Instruct"."""
        return self.title.split(" (")[0].split(",")[0]

    @property
    def terms(self) -> str:
        """What the model's licence asks of the user, shown when it is fetched ("" if none)."""
        return assets.ASSETS[self.asset].terms if self.asset else ""

    @property
    def size_mb(self) -> float | None:
        return assets.ASSETS[self.asset].size / 1e6 if self.asset else None

    def downloaded(self) -> bool:
        """On disk now (a path always is); a bundled model that is not is fetched on first use."""
        return self.asset is None or assets.is_present(self.asset)


def bundled_choices() -> list[ModelChoice]:
    """Every bundled model, the default first."""
    return [_bundled_choice(model) for model in BUNDLED.values()]


def model_choice(source: str) -> ModelChoice:
    """The choice ``source`` names: a bundled name or alias, a ``.gguf`` file or a checkpoint
    directory. Anything else is a ``ModelError`` saying what would work."""
    known = bundled(source)
    if known is not None:
        return _bundled_choice(known)
    path = Path(source).expanduser()
    is_gguf = path.is_file() and path.suffix.lower() == ".gguf"
    if not is_gguf and not (path / "config.json").is_file():
        raise ModelError(f"unknown model {source!r}: use {' or '.join(BUNDLED)} "
                         "(`ctxlab model list`), a .gguf file or a checkpoint directory "
                         "(config.json + *.safetensors)")
    return ModelChoice(str(path), f"{path.name} ({'GGUF file' if is_gguf else 'checkpoint'})",
                       str(path))


def own_window(choice: ModelChoice) -> int | None:
    """The local attention window the model was trained with (Gemma 3's 512), read from a
    GGUF's metadata without its weights; None without local layers, or not known before a
    download (or for a checkpoint, before it is loaded)."""
    from ctxlab.core.model import gguf_weights

    path = assets.asset_path(choice.asset) if choice.asset else Path(choice.name)
    if not choice.downloaded() or path.suffix.lower() != ".gguf":
        return None
    return gguf_weights.read_config(gguf_weights.open_gguf(path)).local_window


def _bundled_choice(model: BundledModel) -> ModelChoice:
    return ModelChoice(model.name, model.title, _own_tokenizer(model), model.asset)


def _own_tokenizer(model: BundledModel) -> str:
    """The registered tokenizer named like the model (``smollm2``; ``gemma3`` for Gemma 3)."""
    registered = specs()
    for spelling in (model.name, *model.aliases):
        if resolve_name(spelling) in registered:
            return resolve_name(spelling)
    raise ModelError(f"no registered tokenizer is named like the model {model.name!r}")
