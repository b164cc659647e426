"""Long texts are counted a piece at a time, exactly: the pieces' counts add up to the
count of the whole text, and memory no longer grows with the text's size."""

from __future__ import annotations

import subprocess
import sys

import pytest
from asset_guard import require_asset
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxlab.core.tokenizers import get_tokenizer, pieces

PIECEWISE = {"claude-legacy": "claude-legacy", "deepseek-v4": None, "qwen3": "qwen3",
             "gemma3": "gemma3-270m-part00", "mistral-v1": "mistral-v1", "o200k_base": None,
             "llama3": "llama3"}  # HF, SentencePiece (with and without a dummy prefix), tiktoken
WORDS = ["the", " dragon", "Orla", "7", "1234567", ",", ".", "\n", "\n\n", "  ", "\t", "é",
         "e\u0301", "日本語", "👩‍💻", "<|endoftext|>", "[INST]", "ﬁ", "'s", "==", "_x"]
texts = st.lists(st.sampled_from(WORDS), min_size=60, max_size=400).map("".join)  # cut ~1-10 times


def whole_count(tok, text: str) -> int:
    """The stock library's count of the whole text in one call."""
    if hasattr(tok, "_sp"):
        return len(tok._sp.encode(text))
    if hasattr(tok, "_enc"):
        return len(tok._enc.encode_ordinary(text))
    return len(tok._tok.encode(text, add_special_tokens=False))


@pytest.mark.parametrize("name", sorted(PIECEWISE))
@settings(max_examples=40, deadline=None)
@given(text=texts)
def test_counts_in_pieces_equal_counting_the_whole_text(name, text, small_pieces):
    tok = small_pieces(name)
    assert tok.count(text) == whole_count(tok, text)
    assert tok.count_batch([text, "", text[:7]]) == [
        whole_count(tok, text), 0, whole_count(tok, text[:7])]


@pytest.fixture(scope="module")
def small_pieces():
    """Tokenizers with pieces of 64 characters, so short texts are cut many times."""
    patch = pytest.MonkeyPatch()
    patch.setattr(pieces, "PIECE_CHARS", 64)
    patch.setattr(pieces, "GROUP_CHARS", 128)

    def load(name: str):
        if PIECEWISE[name]:
            require_asset(PIECEWISE[name])
        return get_tokenizer(name, fetch=False)

    yield load
    patch.undo()


def test_a_dummy_prefix_tokenizer_is_left_whole():
    """SentencePiece's dummy prefix makes every cut change the count: no piece is cut."""
    def encode_batch(batch):
        return [[0, *map(ord, text)] for text in batch]  # a prefix token on every text

    text = "word and number 42\n" * 200_000
    assert [len(p) for p in pieces.exact_pieces(text, encode_batch)] == [len(text)]


def test_an_hf_count_of_8_mb_holds_a_few_hundred_megabytes_at_most():
    """Encoding 8 MB in one call held 1.3 GB more (HF keeps ~160 bytes per byte of text)."""
    require_asset("claude-legacy")
    code = (
        "import resource\n"
        "from ctxlab.core.samples import samples_dir\n"
        "from ctxlab.core.tokenizers import get_tokenizer\n"
        "tok = get_tokenizer('claude-legacy', fetch=False)\n"
        "text = (samples_dir() / 'dragon_story.md').read_text('utf-8') * 130\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(text), tok.count(text), "
        "(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    chars, tokens, grown_mb = map(int, out.split())
    assert chars > 8_000_000 and tokens > 1_000_000
    assert grown_mb < 300, f"counting grew the peak by {grown_mb} MB"
