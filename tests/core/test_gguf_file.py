"""The bounded GGUF reader: the gguf package's answers, but safe on hostile and cut files."""

from __future__ import annotations

import os
import resource
import shutil
import struct

import numpy as np
import pytest

from ctxlab.core import assets
from ctxlab.core.architecture import ArchitectureError, from_gguf
from ctxlab.core.gguf_file import GGUFError, read_gguf
from ctxlab.core.tokenizers.base import TokenizerError
from ctxlab.core.tokenizers.gguf_backend import GGUFTokenizer
from tests.asset_guard import require_asset

SMOLLM2 = "smollm2-135m-instruct-q4_1"


def write_tiny(path, *, tokens=("a", "b", "ab"), metadata=None):
    """A small well-formed GGUF: llama metadata, a 3-piece byte-level vocabulary, two tensors."""
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    writer.add_block_count(1)
    writer.add_head_count(2)
    writer.add_embedding_length(8)
    writer.add_context_length(64)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(list(tokens))
    writer.add_token_merges(["a b"])
    writer.add_token_types([1] * len(tokens))
    for key, value in (metadata or {}).items():
        writer.add_string(key, value)
    writer.add_tensor("norm.weight", np.arange(8, dtype=np.float32))
    writer.add_tensor("embed.weight", np.ones((3, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_agrees_with_the_gguf_package_on_the_real_smollm2_file():
    from gguf import GGUFReader

    require_asset(SMOLLM2)
    path = assets.asset_path(SMOLLM2)
    mine, theirs = read_gguf(path), GGUFReader(str(path))
    for key, field in theirs.fields.items():
        if key.startswith("GGUF."):
            continue
        value = field.contents()
        assert mine.metadata[key] == (value.tolist() if hasattr(value, "tolist") else value), key
    assert [t.name for t in theirs.tensors] == list(mine.tensors)
    for t in theirs.tensors:
        found = mine.tensors[t.name]
        assert (found.offset, found.nbytes, list(found.dims)) == (t.data_offset, t.n_bytes,
                                                                  t.shape.tolist())
    assert mine.complete
    assert mine.tensors["token_embd.weight"].shape == (49152, 576)


def test_dequantize_gives_the_tensors_written(tmp_path):
    gguf = read_gguf(write_tiny(tmp_path / "t.gguf"))
    assert gguf.tensors["embed.weight"].type_name == "F16"
    np.testing.assert_array_equal(gguf.dequantize("norm.weight"), np.arange(8))
    np.testing.assert_array_equal(gguf.dequantize("embed.weight"), np.ones((3, 8)))


def test_every_truncation_of_the_header_is_one_clear_error(tmp_path):
    full = write_tiny(tmp_path / "t.gguf").read_bytes()
    data_start = read_gguf(tmp_path / "t.gguf").data_offset
    cut = tmp_path / "cut.gguf"
    for size in range(0, data_start - 31):  # alignment padding is not header
        cut.write_bytes(full[:size])
        with pytest.raises(GGUFError) as caught:
            read_gguf(cut)
        assert "\n" not in str(caught.value)
        assert str(cut) in str(caught.value)


def test_a_cut_file_still_gives_its_metadata_but_not_its_tensors(tmp_path):
    full = write_tiny(tmp_path / "t.gguf").read_bytes()
    part = tmp_path / "t.gguf.part00"
    part.write_bytes(full[: read_gguf(tmp_path / "t.gguf").data_offset + 32])  # norm only
    gguf = read_gguf(part)
    assert gguf.get("general.name") == "tiny" and not gguf.complete
    np.testing.assert_array_equal(gguf.dequantize("norm.weight"), np.arange(8))
    with pytest.raises(GGUFError, match="truncated.*join the parts"):
        gguf.dequantize("embed.weight")


def test_the_smollm2_tokenizer_reads_from_the_first_part_of_a_split_file(tmp_path):
    require_asset(SMOLLM2)
    path = assets.asset_path(SMOLLM2)
    part = tmp_path / "smollm2.gguf.part00"
    with open(path, "rb") as src, open(part, "wb") as dst:
        dst.write(src.read(read_gguf(path).data_offset + 4096))
    whole = GGUFTokenizer.from_file(path)
    first = GGUFTokenizer.from_file(part)
    text = "Context windows forget 12345 things, café 🐉."
    assert first.encode(text).ids.tolist() == whole.encode(text).ids.tolist()
    assert from_gguf(part).n_layers == 30


def _patch_u64_after(data: bytes, marker: bytes, skip: int, value: int) -> bytes:
    at = data.index(marker) + len(marker) + skip
    return data[:at] + struct.pack("<Q", value) + data[at + 8:]


@pytest.mark.parametrize("claimed", [2**40, 2**63 - 1, 2**64 - 1])
def test_an_absurd_array_length_fails_before_allocating(tmp_path, claimed):
    data = write_tiny(tmp_path / "t.gguf").read_bytes()
    bomb = tmp_path / "bomb.gguf"
    # key "tokenizer.ggml.tokens", then u32 value type (array), u32 element type, u64 count
    bomb.write_bytes(_patch_u64_after(data, b"tokenizer.ggml.tokens", 8, claimed))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(GGUFError, match="length of tokenizer.ggml.tokens says"):
        read_gguf(bomb)
    with pytest.raises(TokenizerError):
        GGUFTokenizer.from_file(bomb)
    with pytest.raises(ArchitectureError):
        from_gguf(bomb)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_an_absurd_string_length_and_tensor_count_fail_cleanly(tmp_path):
    data = write_tiny(tmp_path / "t.gguf").read_bytes()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(data[:8] + struct.pack("<Q", 2**62) + data[16:])  # tensor count
    with pytest.raises(GGUFError, match="tensor count says"):
        read_gguf(bad)
    bad.write_bytes(_patch_u64_after(data, b"general.name", 4, 2**50))  # the name's length
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf(bad)


def test_wrong_types_and_missing_vocabularies_are_one_line(tmp_path):
    path = write_tiny(tmp_path / "t.gguf", metadata={"llama.feed_forward_length": "lots"})
    with pytest.raises(GGUFError, match="feed_forward_length should be an integer, not a str"):
        read_gguf(path).require_int("llama.feed_forward_length")
    (tmp_path / "novocab.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    with pytest.raises(TokenizerError, match="no vocabulary"):
        GGUFTokenizer.from_file(tmp_path / "novocab.gguf")
    with pytest.raises(ArchitectureError, match="no general.architecture"):
        from_gguf(tmp_path / "novocab.gguf")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    with pytest.raises(GGUFError, match="not a regular file"):
        read_gguf(fifo)


def test_a_copy_under_another_name_reads_the_same(tmp_path):
    path = write_tiny(tmp_path / "t.gguf")
    other = tmp_path / "renamed.bin"
    shutil.copy(path, other)
    assert read_gguf(other).metadata == read_gguf(path).metadata
