"""Boundary agreement on real tokenizers, with offsets checked by hand against their splits."""

from __future__ import annotations

import pytest

from ctxlab.core.boundaries import agreement, cuts

TEXT = "unbelievable 12345"
# r50k:   un|bel|iev|able| 123|45     starts 0 2 5 8 12 16
# cl100k: un|belie|vable| |123|45     starts 0 2 7 12 13 16
# o200k:  un|bel|ievable| |123|45     starts 0 2 5 12 13 16
GPTS = ("r50k_base", "cl100k_base", "o200k_base")


@pytest.fixture
def encode(load_tokenizer):
    def run(text: str, *names: str) -> dict:
        return {name: load_tokenizer(name).encode(text) for name in names}

    return run


def test_three_gpt_tokenizers_share_three_of_seven_boundaries(encode):
    found = agreement(encode(TEXT, *GPTS))
    assert found.shared.tolist() == [2, 12, 16]  # after "un", before the digits, before "45"
    assert found.boundaries.tolist() == [2, 5, 7, 8, 12, 13, 16]
    assert found.first_disagreement == 5  # r50k and o200k cut "un|bel|", cl100k does not
    assert found.summary() == "boundaries shared by all: 3 of 7; first disagreement at char 5"


def test_each_token_starting_at_an_unshared_boundary_is_marked(encode):
    found = agreement(encode(TEXT, *GPTS))
    assert found.unshared["r50k_base"].tolist() == [False, False, True, True, False, False]
    assert found.unshared["cl100k_base"].tolist() == [False, False, True, False, True, False]
    assert found.unshared["o200k_base"].tolist() == [False, False, True, False, True, False]


def test_a_pair_agrees_on_more_than_the_trio(encode):
    found = agreement(encode(TEXT, "cl100k_base", "o200k_base"))
    assert found.shared.tolist() == [2, 12, 13, 16]  # both split the space from the digits
    assert found.first_disagreement == 5


def test_cl100k_and_o200k_cut_this_sentence_identically(encode):
    found = agreement(encode("In 2024 the toll rose from 7 to 1,234,567 coins, or 3.14159 per "
                             "traveller.", "cl100k_base", "o200k_base"))
    assert found.first_disagreement is None
    assert found.summary() == "boundaries shared by all: 27 of 27; no disagreement"
    assert not any(mask.any() for mask in found.unshared.values())


def test_tokens_splitting_one_character_share_its_boundary_once(load_tokenizer):
    spans = load_tokenizer("o200k_base").encode("Café 👩🏽‍🚀 🇯🇵 naïve")
    assert spans.char_start.tolist()[4:9] == [6, 6, 7, 8, 8]  # 🏽 and 🚀 are two tokens each
    assert cuts(spans).tolist() == [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16]


def test_empty_text_and_mismatched_texts(encode):
    assert agreement(encode("", *GPTS)).summary() == (
        "boundaries shared by all: 0 of 0; no disagreement")
    mixed = {**encode("one text", "r50k_base"), **encode("another", "o200k_base")}
    with pytest.raises(ValueError, match="one text"):
        agreement(mixed)
