"""The helper process gives exactly the spans the tokenizer gives here, errors included."""

from __future__ import annotations

import numpy as np
import pytest

from ctxlab.core.samples import get_sample
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.core.tokenizers.base import TokenizerError
from ctxlab.core.tokenizers.elsewhere import ElsewhereTokenizer, _helper

FIELDS = ("ids", "char_start", "char_end", "byte_start", "byte_end", "split", "special")


@pytest.mark.parametrize("name", ["o200k_base", "smollm2"])
def test_spans_from_the_helper_equal_spans_made_here(name) -> None:
    text = get_sample("multilingual").path.read_text(encoding="utf-8") + " <|endoftext|> 🇯🇵"
    tokenizer, elsewhere = get_tokenizer(name), ElsewhereTokenizer(name)
    here, there = tokenizer.encode(text), elsewhere.encode(text)
    assert there.text is text
    for field in FIELDS:
        assert np.array_equal(getattr(here, field), getattr(there, field)), field
    assert elsewhere.count(text) == len(here)
    ids = [int(i) for i in here.ids[:50]]
    assert elsewhere.pieces(ids) == [(tokenizer.piece(i), tokenizer.token_bytes(i)) for i in ids]


def test_a_tokenizer_error_in_the_helper_is_raised_here_and_a_dead_helper_is_replaced() -> None:
    with pytest.raises(TokenizerError, match="unknown tokenizer 'no-such'"):
        ElsewhereTokenizer("no-such").encode("text")
    process = _helper._process
    assert process is not None
    process.kill()
    process.wait()
    assert ElsewhereTokenizer("o200k_base").count("hello world") == 2
    assert _helper._process is not process
