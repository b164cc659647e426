"""Llama 3/4, Mistral (Tekken and SentencePiece) and Qwen3 against each family's own code.

Each reference loads the vocabulary file its own package ships (llama_models,
mistral_common), so these tests also prove that ctxlab's pinned asset is the
same file the model maker's code uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asset_guard import require_asset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxlab.core.samples import get_sample
from ctxlab.core.tokenizers import get_tokenizer

STRINGS = [
    "This is a test sentence.",  # llama_models' own tokenizer test
    "Hello world",  # mistral_common's documentation example
    "naïve café 👩‍💻 日本語の文章 مرحبا हिन्दी",
    "def f(x):\n\treturn [1, 22, 333, 4444]\r\n\n   trailing   ",
    "<|begin_of_text|>[INST] not a control token here [/INST]",
    "",
]


def sample_text(name: str) -> str:
    return get_sample(name).path.read_text(encoding="utf-8")


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


def _ours(name: str):
    require_asset(name)
    return get_tokenizer(name, fetch=False)


@pytest.fixture(scope="module")
def meta_llama3():
    from llama_models.llama3.tokenizer import Tokenizer

    return Tokenizer.get_instance()


@pytest.fixture(scope="module")
def meta_llama4():
    from llama_models.llama4.tokenizer import Tokenizer

    return Tokenizer.get_instance()


@pytest.fixture(scope="module")
def mistral_tekken():
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    return MistralTokenizer.v3(is_tekken=True, is_mm=True).instruct_tokenizer.tokenizer


def test_llama3_matches_metas_published_ids_and_specials(meta_llama3):
    ours = _ours("llama3")
    # llama_models/llama3/tests/api/test_tokenizer.py: test_encode and test_special_tokens.
    assert ours.encode("This is a test sentence.").ids.tolist() == [2028, 374, 264, 1296, 11914, 13]
    assert ours.info.special_tokens == meta_llama3.special_tokens
    assert ours.info.special_tokens["<|begin_of_text|>"] == 128000
    assert ours.info.vocab_size == meta_llama3.n_words == 128256


def test_llama4_specials_and_size_match_meta(meta_llama4):
    ours = _ours("llama4")
    assert ours.info.special_tokens == meta_llama4.special_tokens
    assert ours.info.vocab_size == meta_llama4.n_words == 202048


@pytest.mark.parametrize("family", ["llama3", "llama4"])
def test_llama_ids_equal_metas_tokenizer(family, meta_llama3, meta_llama4):
    meta = meta_llama3 if family == "llama3" else meta_llama4
    ours = _ours(family)
    for text in STRINGS + [sample_text("multilingual"), sample_text("code_sample")]:
        assert ours.encode(text).ids.tolist() == meta.encode(text, bos=False, eos=False), text


def test_tekken_ids_and_controls_equal_mistral_common(mistral_tekken):
    ours = _ours("tekken")
    assert ours.info.vocab_size == mistral_tekken.n_words == 131072
    assert ours.encode("Hello world").ids.tolist() == [22177, 4304]
    for token_id in range(mistral_tekken.num_special_tokens):
        assert ours.info.special_tokens[mistral_tekken.id_to_piece(token_id)] == token_id
    for text in STRINGS + [sample_text("multilingual"), sample_text("code_sample")]:
        assert ours.encode(text).ids.tolist() == mistral_tekken.encode(text, False, False), text


@pytest.mark.parametrize("version", ["v1", "v2", "v3", "v7"])
def test_mistral_sentencepiece_ids_equal_mistral_common(version):
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    reference = getattr(MistralTokenizer, version)().instruct_tokenizer.tokenizer
    ours = _ours(f"mistral-{version}")
    assert ours.info.vocab_size == reference.n_words
    for text in STRINGS + [sample_text("multilingual")]:
        assert ours.encode(text).ids.tolist() == reference.encode(text, False, False), text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_random_text_agrees_with_the_reference_libraries(text, meta_llama3, meta_llama4,
                                                         mistral_tekken):
    assert _ours("llama3").encode(text).ids.tolist() == meta_llama3.encode(
        text, bos=False, eos=False)
    assert _ours("llama4").encode(text).ids.tolist() == meta_llama4.encode(
        text, bos=False, eos=False)
    assert _ours("tekken").encode(text).ids.tolist() == mistral_tekken.encode(text, False, False)


def test_qwen3_has_qwens_published_vocabulary():
    ours = _ours("qwen3")
    # Qwen3's model card: 151,643 BPE tokens and 26 added control tokens.
    assert ours.info.vocab_size == 151_669
    specials = ours.info.special_tokens
    assert specials["<|endoftext|>"] == 151643
    assert (specials["<|im_start|>"], specials["<|im_end|>"]) == (151644, 151645)
    assert ours.encode("<think>", allow_special=True).ids.tolist() == [151667]
    assert ours.encode("</think>", allow_special=True).ids.tolist() == [151668]


def test_qwen3_ids_equal_hf_tokenizers_on_the_same_file():
    from tokenizers import Tokenizer

    ours = _ours("qwen3")
    reference = Tokenizer.from_file(ours.info.source)
    for text in STRINGS + [sample_text("multilingual")]:
        ids = reference.encode(text, add_special_tokens=False).ids
        assert ours.encode(text, allow_special=True).ids.tolist() == ids, text
    assert Path(ours.info.source).with_name("tokenizer_config.json").is_file()


@pytest.mark.parametrize("name", ["llama3", "llama4", "tekken"])
def test_special_strings_in_text_stay_ordinary_unless_allowed(name):
    ours = _ours(name)
    marker = "[INST]" if name == "tekken" else "<|begin_of_text|>"
    plain = ours.encode(f"a{marker}b")
    assert not plain.special.any()
    allowed = ours.encode(f"a{marker}b", allow_special=True)
    assert allowed.ids.tolist().count(ours.info.special_tokens[marker]) == 1
