"""HF tokenizers: normalizing ones still give every token the chars and bytes it came from."""

from __future__ import annotations

import pytest
from asset_guard import require_asset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxlab.core.tokenizers import get_tokenizer

# NFKC rewrites ﬁ, ①, full-width and composed forms; emoji and CJK split into byte pieces.
HARD = ["🐉", "👩‍💻", "東京", "ﬁ", "①", "Ａ", "e\u0301", "ℌ", "…", " ", "\n", "x"]
texts = st.lists(st.one_of(st.sampled_from(HARD),
                           st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)),
                 max_size=12).map("".join)


REFERENCE: dict = {}


@pytest.fixture(scope="module")
def claude():
    require_asset("claude-legacy")
    return get_tokenizer("claude-legacy", fetch=False)


def stock(tok):
    """The same tokenizer.json loaded by the library itself (specials as text, as ctxlab does)."""
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(tok.info.source)
    reference.encode_special_tokens = True
    return reference


def check_against_hf(tok, reference, text: str) -> None:
    """Bytes tile the text, and each token covers bytes of the chars HF says it came from."""
    spans = tok.encode(text)
    hf = reference.encode(text, add_special_tokens=False)
    assert list(spans.ids) == hf.ids
    covered = 0
    for i in range(len(hf.offsets)):
        assert int(spans.byte_start[i]) == covered
        covered = int(spans.byte_end[i])
    assert covered == len(text.encode("utf-8"))
    for group in _overlapping_runs(hf.offsets):
        first, last = hf.offsets[group[0]][0], max(hf.offsets[i][1] for i in group)
        if len(group) > len(text[first:last].encode("utf-8")):
            continue  # NFKC made more tokens than the chars have bytes ("¼¼" is 5 tokens)
        for i in group:
            start, end = hf.offsets[i]
            if end > start:
                assert spans.byte_end[i] > spans.byte_start[i], (i, hf.tokens[i])
                assert spans.char_start[i] < end and start < spans.char_end[i], (i, hf.tokens[i])


def _overlapping_runs(offsets: list[tuple[int, int]]) -> list[list[int]]:
    """Consecutive tokens whose char offsets overlap, as runs of indices (bytes are shared
    out within a run, so a run with fewer bytes than tokens must leave some token empty)."""
    runs: list[list[int]] = []
    reach = -1
    for i, (start, end) in enumerate(offsets):
        if runs and start < reach:
            runs[-1].append(i)
            reach = max(reach, end)
        else:
            runs.append([i])
            reach = end
    return runs


def test_tokens_sharing_a_character_cover_its_bytes_and_are_split(claude) -> None:
    """The issue's case: pieces of 🐉 once got text "", split false and bytes [3,3]."""
    text = "ab 🐉 東京 ﬁx ①"
    spans = claude.encode(text)
    records = spans.to_records()
    assert all(r["bytes"][1] > r["bytes"][0] and r["text"] for r in records)
    dragon = [r for r in records if "🐉" in r["text"]]
    assert [r["bytes"] for r in dragon] == [[2, 5], [5, 6], [6, 7]]  # " " + 2 bytes, 1, 1
    assert all(r["split"] for r in dragon) and [r["text"] for r in dragon][1:] == ["🐉", "🐉"]
    assert [r["text"] for r in records][-2:] == [" ﬁx", " ①"]  # NFKC-changed: whole chars
    check_against_hf(claude, stock(claude), text)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_offsets_spans_tile_and_cover_what_hf_says(claude, text: str) -> None:
    check_against_hf(claude, REFERENCE.setdefault("claude", stock(claude)), text)


@pytest.mark.parametrize("name", ["deepseek-v4", "claude-legacy"])
def test_encode_gives_the_stock_encode_tokens(name: str) -> None:
    """`encode` goes through `encode_batch` (it frees the GIL): the tokens must not change."""
    if name == "claude-legacy":
        require_asset(name)
    tok = get_tokenizer(name, fetch=False)
    text = "The dragon 🐉 counted 1,024 coins. 東京の龍 ﬁx <|endoftext|>\n\tend" * 3
    expected = stock(tok).encode(text, add_special_tokens=False).ids
    assert list(tok.encode(text).ids) == expected
    assert tok.count(text) == len(expected)
