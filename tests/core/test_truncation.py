"""Truncation strategies on real tokenizers: tiling, budgets, character-safe cuts, sinks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxlab.core.truncation import STRATEGIES, sliding_windows, truncate

# Byte-level BPE (tiktoken, HF) and SentencePiece with byte fallback.
TOKENIZERS = ("o200k_base", "cl100k_base", "deepseek-v4", "mistral-v1", "claude-legacy")
# Fragments that make BPE merge across cuts and split characters into byte tokens.
FRAGMENTS = ["hello", " world", "🎉", "日本語", "\n", "  ", "é", "ing", "the", "!!", "123",
             " a", "'s", ".", "\u0301", "👩‍👩‍👧"]
documents = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join)
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def char_boundary_cut(spans, cut: int) -> bool:
    """A cut between tokens ``cut-1`` and ``cut`` falls on a UTF-8 character boundary."""
    if cut in (0, len(spans)):
        return True
    byte = int(spans.byte_start[cut])
    data = spans.text.encode("utf-8")
    return byte == len(data) or (data[byte] & 0xC0) != 0x80


@pytest.mark.parametrize("name", TOKENIZERS)
@PROPERTY
@given(text=documents, budget=st.integers(0, 40), strategy=st.sampled_from(STRATEGIES))
def test_kept_and_dropped_tile_the_document_within_budget(load_tokenizer, name, text, budget,
                                                          strategy):
    tok = load_tokenizer(name)
    spans = tok.encode(text)
    result = truncate(spans, budget, strategy, sinks=min(4, budget), tokenizer=tok)

    pieces = sorted([(a, b, "kept") for a, b in result.kept_chars]
                    + [(a, b, "dropped") for a, b in result.dropped_chars])
    assert "".join(text[a:b] for a, b, _ in pieces) == text
    assert all(a < b for a, b, _ in pieces[1:]) and [p[1] for p in pieces[:-1]] == [
        p[0] for p in pieces[1:]]
    assert result.kept_text == "".join(text[a:b] for a, b in result.kept_chars)
    assert result.reencoded_tokens == tok.count(result.kept_text) <= budget
    assert result.kept_tokens + result.dropped_tokens == len(spans)
    assert result.kept_tokens <= budget
    for start, end in result.kept:
        assert char_boundary_cut(spans, start) and char_boundary_cut(spans, end)


@pytest.mark.parametrize("name", ("o200k_base", "deepseek-v4", "mistral-v1"))
@PROPERTY
@given(text=documents, sinks=st.integers(0, 6), recent=st.integers(0, 20))
def test_sinks_keep_exactly_first_k_and_last_w(load_tokenizer, name, text, sinks, recent):
    tok = load_tokenizer(name)
    spans = tok.encode(text)
    n = len(spans)
    budget = sinks + recent
    result = truncate(spans, budget, "sinks", sinks=sinks, tokenizer=tok)
    if n <= budget:
        assert result.kept == ([(0, n)] if n else [])
        return
    # When both cuts sit on character boundaries and the pieces re-encode within budget,
    # nothing may be shrunk: exactly the first k and the last W tokens are kept.
    untouched = spans.text[: _char(spans, sinks)] + spans.text[_char(spans, n - recent):]
    clean = char_boundary_cut(spans, sinks) and char_boundary_cut(spans, n - recent)
    if clean and tok.count(untouched) <= budget:
        assert result.kept == [r for r in [(0, sinks), (n - recent, n)] if r[1] > r[0]]
    else:
        assert result.reencoded_tokens <= budget
    if sinks and char_boundary_cut(spans, sinks):
        assert result.kept[0] == (0, sinks)


def _char(spans, cut: int) -> int:
    return len(spans.text) if cut >= len(spans) else int(spans.char_start[cut])


@pytest.mark.parametrize("name", TOKENIZERS)
def test_head_tail_middle_pick_the_documented_ranges(load_tokenizer, name):
    tok = load_tokenizer(name)
    spans = tok.encode("The quick brown fox jumps over the lazy dog. " * 20)
    n = len(spans)
    assert truncate(spans, 10, "head").kept == [(0, 10)]
    assert truncate(spans, 10, "tail").kept == [(n - 10, n)]
    assert truncate(spans, 11, "middle").kept == [(0, 5), (n - 6, n)]  # LongBench: both halves
    assert truncate(spans, 10, "sinks", sinks=4).kept == [(0, 4), (n - 6, n)]
    assert truncate(spans, n + 5, "middle").kept == [(0, n)]
    head_cut = int(spans.char_start[10])
    assert truncate(spans, 10, "head").dropped_chars == [(head_cut, len(spans.text))]


def test_reencoding_that_merges_across_the_cut_shrinks_the_keep(load_tokenizer):
    tok = load_tokenizer("o200k_base")
    text = "日本語   worldthe!!!!.!! world日本語日本語hello"
    spans = tok.encode(text)
    result = truncate(spans, 7, "middle", tokenizer=tok)
    unchecked = truncate(spans, 7, "middle")
    assert tok.count(unchecked.kept_text) > 7  # joining the halves costs an extra token
    assert result.reencoded_tokens <= 7 and result.kept_tokens < unchecked.kept_tokens


def test_cut_inside_a_character_moves_to_its_boundary(load_tokenizer):
    tok = load_tokenizer("o200k_base")
    spans = tok.encode("a🦜b")  # the parrot is split over several byte tokens
    split = [i for i in range(1, len(spans)) if not char_boundary_cut(spans, i)]
    assert split, "fixture must split a character"
    result = truncate(spans, split[0], "head", tokenizer=tok)
    assert result.kept_text == "a" and "\ufffd" not in result.kept_text


def test_bad_arguments_are_value_errors(load_tokenizer):
    spans = load_tokenizer("o200k_base").encode("hello world")
    with pytest.raises(ValueError, match="strategy"):
        truncate(spans, 3, "random")
    with pytest.raises(ValueError, match="sinks"):
        truncate(spans, 3, "sinks", sinks=5)
    with pytest.raises(ValueError, match="negative"):
        truncate(spans, -1)


@pytest.mark.parametrize("name", ("o200k_base", "mistral-v1"))
@PROPERTY
@given(text=documents, width=st.integers(1, 12), stride=st.integers(1, 12))
def test_sliding_windows_step_by_stride_and_reach_the_end(load_tokenizer, name, text, width,
                                                          stride):
    spans = load_tokenizer(name).encode(text)
    windows = list(sliding_windows(spans, width, stride))
    n = len(spans)
    for window in windows:
        assert window.kept_tokens <= width
        assert window.kept_text == "".join(text[a:b] for a, b in window.kept_chars)
        for start, end in window.kept:
            assert char_boundary_cut(spans, start) and char_boundary_cut(spans, end)
    if n and all(char_boundary_cut(spans, i) for i in range(n + 1)):
        starts = [w.kept[0][0] for w in windows]
        assert starts[: len(starts) - 1] == list(range(0, stride * (len(starts) - 1), stride))
        assert windows[-1].kept[-1][1] == n
