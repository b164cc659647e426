"""Gemma 3's tokenizer rebuilt from GGUF metadata: a split or cut file is enough.

ids are checked against the values Google's Gemma 3 files declare (the GGUF's
own bos/eos/pad ids and the chat-turn controls) and against a second
implementation, transformers' Gemma tokenizer built from the same metadata.
benchmarks/gemma3_tokenizer_check.py runs that comparison on every sample, and
llama.cpp's too where llama-cpp-python is installed (building it from source
takes too long for CI on two cores).
"""

from __future__ import annotations

import pytest
from asset_guard import require_asset

from ctxlab.core import assets
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.core.tokenizers.base import TokenizerError

PART = "gemma3-270m-part00"


@pytest.fixture(scope="module")
def gemma3():
    require_asset(PART)
    return get_tokenizer("gemma3", fetch=False)


def test_vocabulary_and_controls_are_gemma3s(gemma3):
    from ctxlab.core.gguf_file import read_gguf

    metadata = read_gguf(assets.asset_path(PART), tensors=False).metadata
    specials = gemma3.info.special_tokens
    assert gemma3.info.vocab_size == 262_144
    assert specials["<pad>"] == metadata["tokenizer.ggml.padding_token_id"] == 0
    assert specials["<eos>"] == metadata["tokenizer.ggml.eos_token_id"] == 1
    assert specials["<bos>"] == metadata["tokenizer.ggml.bos_token_id"] == 2
    assert (specials["<start_of_turn>"], specials["<end_of_turn>"]) == (105, 106)
    assert gemma3.info.licence == "Gemma Terms of Use"


def test_no_space_prefix_and_whitespace_pieces(gemma3):
    # Gemma 3 adds no dummy prefix (the GGUF says add_space_prefix = false).
    hello = gemma3.encode("Hello world")
    assert [gemma3.piece(i) for i in hello.ids] == ["Hello", "\u2581world"]
    assert gemma3.encode("\n\n").ids.tolist() == [108]  # a user-defined newline run


def test_control_strings_are_text_unless_allowed(gemma3):
    turn = "<start_of_turn>user\nhi<end_of_turn>"
    assert 105 not in gemma3.encode(turn).ids.tolist()
    allowed = gemma3.encode(turn, allow_special=True)
    assert allowed.ids.tolist()[0] == 105 and allowed.ids.tolist()[-1] == 106
    assert gemma3.count(turn, allow_special=True) == len(allowed) == 5
    assert allowed.special.tolist() == [True, False, False, False, True]
    assert "".join(allowed.token_text(i) for i in range(len(allowed))) == turn


def test_a_cut_file_holding_only_the_metadata_is_enough(gemma3, tmp_path):
    from ctxlab.core.gguf_file import read_gguf

    source = assets.asset_path(PART)
    header_end = read_gguf(source).data_offset
    cut = tmp_path / "gemma-3.gguf.part00"
    with open(source, "rb") as src:
        cut.write_bytes(src.read(header_end + 1000))
    text = "Tokens in 日本語 and emoji 👩‍💻 cost differently."
    from_cut = get_tokenizer(str(cut))
    assert from_cut.encode(text).ids.tolist() == gemma3.encode(text).ids.tolist()


def test_a_file_cut_inside_the_vocabulary_is_one_clear_error(tmp_path):
    require_asset(PART)
    cut = tmp_path / "broken.gguf"
    with open(assets.asset_path(PART), "rb") as src:
        cut.write_bytes(src.read(100_000))
    with pytest.raises((TokenizerError, ValueError)) as caught:
        get_tokenizer(str(cut))
    assert "\n" not in str(caught.value) and str(cut) in str(caught.value)


@pytest.fixture(scope="module")
def transformers_gemma3():
    """transformers' own Gemma tokenizer (BPE merges, not SentencePiece) from the metadata."""
    pytest.importorskip("transformers")
    from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer

    from ctxlab.core.gguf_file import read_gguf

    require_asset(PART)
    metadata = read_gguf(assets.asset_path(PART), tensors=False).metadata
    fields = {"tokenizer_type": "model", "tokens": "tokens", "scores": "scores",
              "token_type": "token_type", "add_prefix_space": "add_space_prefix"}
    vocabulary = {ours: metadata[f"tokenizer.ggml.{theirs}"] for ours, theirs in fields.items()}
    backend, _ = convert_gguf_tokenizer(metadata["general.architecture"], vocabulary)
    return backend


SECOND_OPINION_TEXTS = [
    "Hello world", "naïve café 👩‍💻 日本語の文章 مرحبا हिन्दी", "two  spaces and   three",
    "def f(x):\n    return [1, 22, 333]\n\n\tdone", "  leading", "trailing  ", "tabs\t\t\tx",
]


@pytest.mark.parametrize("sample", [None, "code_sample.py", "multilingual.md"])
def test_ids_equal_transformers_gemma_tokenizer(gemma3, transformers_gemma3, sample):
    from pathlib import Path

    samples = Path(__file__).parents[2] / "samples"
    texts = SECOND_OPINION_TEXTS if sample is None else [(samples / sample).read_text("utf-8")]
    for text in texts:
        theirs = transformers_gemma3.encode(text, add_special_tokens=False).ids
        assert gemma3.encode(text).ids.tolist() == theirs, text[:40]


def test_a_long_space_run_takes_the_longest_pieces_first(gemma3):
    # SentencePiece matches user-defined pieces longest first: 31 spaces, then 9
    # (transformers' rebuilt merges split the same run 16 + 24: as many tokens).
    run = " " * 40 + "x"
    assert [gemma3.piece(i) for i in gemma3.encode(run).ids] == ["\u2581" * 31, "\u2581" * 9, "x"]
