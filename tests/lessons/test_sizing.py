"""``ctxlab size`` arithmetic: exact where the shape is known, labelled estimates elsewhere."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ctxlab.core.architecture import SMOLLM2_135M
from ctxlab.core.sizing import parse_count, size_report


def test_parse_count_reads_suffixes_and_windows_are_binary():
    assert parse_count("135M") == 135_000_000
    assert parse_count("7b") == 7_000_000_000
    assert parse_count("1.5e9") == 1_500_000_000
    assert parse_count("128K", binary=True) == 131_072
    assert parse_count("8192", binary=True) == 8192
    for bad in ("7Q", "", "-3", "0"):
        with pytest.raises(ValueError):
            parse_count(bad)


def test_smollm2_kv_cache_comes_from_its_architecture():
    report = size_report(135_000_000, 8192, SMOLLM2_135M)
    # 2 (K, V) x 30 layers x 3 KV heads x 64 dims x 2 bytes = 23,040 bytes a token.
    assert report.kv_cache.bytes_per_token == 23_040
    assert report.kv_cache.bytes == 23_040 * 8192
    assert report.kv_cache.exact
    assert report.weights == {"fp16": 270_000_000, "int8": 135_000_000, "int4": 67_500_000}


def test_training_is_chinchilla_and_six_n_d():
    report = size_report(7_000_000_000, 4096)
    assert report.training_tokens == 140_000_000_000
    assert report.training_flops == pytest.approx(6 * 7e9 * 140e9)


def test_without_an_architecture_the_kv_cache_is_a_plausible_labelled_estimate():
    kv = size_report(7_000_000_000, 4096).kv_cache
    assert not kv.exact and kv.how.startswith("estimate")
    # Llama-2-7B (32 layers x 4096, full multi-head attention) needs 524,288 bytes a token.
    assert 0.8 * 524_288 < kv.bytes_per_token < 1.25 * 524_288


def run_size(*args: str):
    return subprocess.run([sys.executable, "-m", "ctxlab", "size", *args],
                          capture_output=True, text=True, timeout=60)


def test_size_command_prints_labelled_numbers_and_rejects_bad_input():
    out = run_size("135M", "--arch", "smollm2", "-c", "8K")
    assert out.returncode == 0, out.stderr
    assert "180.0 MiB" in out.stdout and "from the architecture" in out.stdout
    assert "estimates" in out.stdout
    bad = run_size("lots")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "ctxlab: error: 'lots' is not a number like 135M, 7B, 1.5e9 or 128K"]


def test_one_byte_formatter_binary_units_for_every_memory_figure():
    """SmolLM2's full 8K KV cache read "180.0 MiB" in Windows and "188.7 MB" in Size."""
    from ctxlab.core.sizing import format_bytes, report_lines
    from ctxlab.core.windows import LOCAL_WINDOWS
    from ctxlab.tui.widgets.windows_panel import gauge_text

    assert SMOLLM2_135M.kv_cache_bytes(8192) == 188_743_680
    assert [format_bytes(n) for n in (1023, 1024, 188_743_680, 14e9, 3 << 40)] == [
        "1,023 B", "1.0 KiB", "180.0 MiB", "13.0 GiB", "3.0 TiB"]
    size = "\n".join(report_lines(size_report(135_000_000, 8192, SMOLLM2_135M)))
    window = gauge_text(LOCAL_WINDOWS["smollm2-135m"], 8192).plain
    assert "KV cache   180.0 MiB" in size and "KV cache 180.0 MiB" in window
