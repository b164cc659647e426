"""The fast engine against stock tiktoken: same vocabulary, same ids, same counts."""

from __future__ import annotations

import multiprocessing
import random

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxlab.core.samples import list_samples
from ctxlab.core.tokenizers.engines import get_counter
from ctxlab.core._ascii_count import Counter
from ctxlab.core.tokenizers.fast_bpe import (
    FAST_ENCODINGS,
    TIKTOKEN_N_VOCAB,
    FastBPETokenizer,
    load_ascii_counter,
)
from ctxlab.core.words import count_words, count_words_batch

WORDS = ["The dragon's hoard", " they'll ", "def f(x):\n    return x", "日本語のテキスト",
         "Привет, мир", "👩‍💻🧠", "naïve café", "ＡＢＣ１２３"]
SPECIAL_RUNS = " \t\n\r0123456789!?.,;:'\"()[]{}<>|/\\-_=+*&^%$#@~`"


@pytest.fixture(scope="module", params=FAST_ENCODINGS)
def pair(request):
    name = request.param
    return FastBPETokenizer(name), tiktoken.get_encoding(name)


def test_same_ranks_and_vocabulary_size(pair):
    fast, enc = pair
    assert fast.info.vocab_size == enc.n_vocab
    ranks = enc._mergeable_ranks
    assert len(ranks) > 100_000
    assert [r for b, r in ranks.items() if fast._fast.decode_token_bytes(r) != b] == []


def test_ids_equal_on_bundled_samples(pair):
    fast, enc = pair
    for sample in list_samples():
        text = sample.path.read_text("utf-8")
        assert fast.ids(text) == enc.encode_ordinary(text), sample.name
        assert fast.count(text) == len(enc.encode_ordinary(text))
        assert fast.count(text, allow_special=True) == len(enc.encode(text, allowed_special="all"))


def _generated_text(rng: random.Random) -> str:
    """Words, code, runs and characters from all 17 planes, mixed the way real files mix them."""
    parts = []
    for _ in range(rng.randint(1, 40)):
        kind = rng.random()
        if kind < 0.3:
            parts.append(rng.choice(SPECIAL_RUNS) * rng.randint(1, 300))
        elif kind < 0.6:
            plane = rng.randint(0, 16) << 16
            parts.append("".join(chr(c) for c in (rng.randint(plane, plane + 0xFFFF)
                                                  for _ in range(rng.randint(1, 12)))
                                 if not 0xD800 <= c <= 0xDFFF))
        elif kind < 0.65:
            parts.append("<|endoftext|>")
        else:
            parts.append(rng.choice(WORDS))
    return "".join(parts)


def test_ids_equal_on_a_generated_corpus(pair):
    fast, enc = pair
    rng = random.Random(13)
    texts = [_generated_text(rng) for _ in range(400)]
    assert [fast.ids(t) for t in texts] == enc.encode_ordinary_batch(texts)
    assert fast.count_batch(texts) == [len(ids) for ids in enc.encode_ordinary_batch(texts)]


def _plane_char(plane: int):
    return st.integers(plane << 16, (plane << 16) + 0xFFFF).map(chr)


PIECES = st.one_of(
    st.one_of(*[_plane_char(p) for p in range(17)]),  # includes lone surrogates in plane 0
    st.integers(0xD800, 0xDFFF).map(chr),
    st.tuples(st.sampled_from(SPECIAL_RUNS), st.integers(1, 500)).map(lambda cn: cn[0] * cn[1]),
    st.just("<|endoftext|>"),
    st.text(max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_ids_equal_on_any_unicode(text):
    for name in FAST_ENCODINGS:
        fast, enc = get_counter(name, "fast"), tiktoken.get_encoding(name)
        assert fast.ids(text) == enc.encode_ordinary(text)
        assert fast.count(text) == len(enc.encode_ordinary(text))
        assert fast.count(text, allow_special=True) == len(enc.encode(text, allowed_special="all"))
        batch = [text, "é " + text, text[::-1]]  # one batch, on splintr's threads
        expected = [len(ids) for ids in enc.encode_ordinary_batch(batch)]
        assert fast.count_batch(batch) == expected
        assert fast.count_batch_soon(batch).result() == expected


def _count_batch_here(name: str, texts: list[str]) -> list[int]:
    return get_counter(name, "fast").count_batch(texts)


def test_a_process_forked_after_batches_still_counts_batches():
    """rayon's threads do not survive a fork: a child that used them would hang."""
    texts = [f"line {i} of some text, déjà vu\n" * 400 for i in range(300)]
    expected = [len(ids) for ids in tiktoken.get_encoding("cl100k_base").encode_ordinary_batch(
        texts)]
    assert _count_batch_here("cl100k_base", texts) == expected  # rayon starts here
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_count_batch_here, ("cl100k_base", texts)).get(60) == expected


def test_engines_pick_the_fast_counter_only_where_it_is_exact():
    assert get_counter("gpt-4o", "fast").info.library.startswith(
        "ctxlab ASCII counter + splintr-rs")
    assert get_counter("gpt-4o", "tiktoken").info.library.startswith("tiktoken")
    assert get_counter("gpt2", "fast").info.library.startswith("tiktoken")  # no fast ranks
    assert TIKTOKEN_N_VOCAB.keys() == set(FAST_ENCODINGS)


@given(st.text(st.characters(codec=None)) | st.text(alphabet=" \t\n\x1c\x1f\x0bab\x85\u3000é"))
def test_word_count_equals_str_split(text):
    assert count_words(text) == len(text.split())
    assert count_words_batch([text, text + " x", "\u2028" + text]) == [
        len(t.split()) for t in (text, text + " x", "\u2028" + text)]


def test_spans_decode_and_bytes_equal_the_reference(pair):
    fast, enc = pair
    reference = fast.reference
    for sample in list_samples():
        text = sample.path.read_text("utf-8")
        ours, theirs = fast.encode(text), reference.encode(text)
        assert ours.to_records() == theirs.to_records(), sample.name
        assert fast.decode(ours.ids) == text
    assert fast.token_bytes(enc.encode_ordinary(" dragon")[0]) == b" dragon"


# ASCII the C counter must split exactly as the regexes do: contractions in any case,
# every ASCII space (\v, \f, \r), '/' after newlines (o200k), digit runs, camelCase.
ASCII_PIECES = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=30),
    st.sampled_from(["'s", "'T", "'Re", "'vE", "'LL", "'d", "'m", "n't", "HTTPServer", "getX",
                     "ABc", "\r\n", "\n/", "\n//x", " \n\n  ", "\v\f", " 123456", "x/\n"]),
    st.tuples(st.sampled_from(" \t\n\r\x0b\x0c/'\"!.0aZ"), st.integers(1, 40)).map(
        lambda cn: cn[0] * cn[1]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ASCII_PIECES, max_size=25).map("".join), st.sampled_from(["", "é", "日本\n"]))
def test_the_c_counter_splits_ascii_as_tiktoken_does(text, other):
    """Pure ASCII is counted in C; with another character, its segments are cut apart."""
    for name in ("cl100k_base", "o200k_base"):
        fast, enc = get_counter(name, "fast"), tiktoken.get_encoding(name)
        texts = [text, other + text, text + "\n" + other + "\n  " + text]
        assert fast.count_batch(texts) == [len(ids) for ids in enc.encode_ordinary_batch(texts)]


def test_the_c_counter_is_built_and_used():
    """CI installs as users do: the build hook must have compiled it, or counts get slower."""
    counter = load_ascii_counter("cl100k_base")
    assert isinstance(counter, Counter) and counter.ranks == 100256
    assert get_counter("o200k_base", "fast")._ascii is not None
    counts, left = counter.count_batch(["hello world", "héllo\nworld\n", "x" * 5000])
    assert counts[0] == 2 and left == [(1, 0, 6), (2, 0, 5000)]  # the rest is splintr's


def test_the_c_counter_refuses_what_is_not_a_rank_file():
    with pytest.raises(ValueError, match="not a .tiktoken rank file"):
        Counter(b"aGVsbG8= 0\nd29ybGQ= 7\n", "cl100k_base")  # ranks out of order
    with pytest.raises(ValueError, match="no ASCII scanner"):
        Counter(b"", "r50k_base")


def test_pieces_too_long_to_merge_in_c_are_counted_by_splintr():
    enc = tiktoken.get_encoding("cl100k_base")
    texts = ["a" * 10_000, "!" * 9_000 + " ok", "word " * 3000]
    assert get_counter("cl100k_base", "fast").count_batch(texts) == [
        len(ids) for ids in enc.encode_ordinary_batch(texts)]


def test_without_the_c_module_counts_are_the_same(monkeypatch):
    """An install without a C compiler: splintr counts everything, str.split the words."""
    from ctxlab.core import words
    from ctxlab.core.tokenizers import fast_bpe

    monkeypatch.setattr(fast_bpe, "native_counter_built", lambda: False)
    monkeypatch.setattr(words, "_native_words", None)
    fast = FastBPETokenizer("o200k_base")
    texts = [sample.path.read_text("utf-8") for sample in list_samples()]
    assert fast._ascii is None and "ASCII counter" not in fast.info.library
    enc = tiktoken.get_encoding("o200k_base")
    assert fast.count_batch(texts) == [len(ids) for ids in enc.encode_ordinary_batch(texts)]
    assert count_words_batch(texts) == [len(t.split()) for t in texts]
