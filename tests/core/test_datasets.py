"""Datasets: the same counts from JSONL, .gz, .zst, Parquet and the HF cache, streamed."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tiktoken
import zstandard

from ctxlab.core.chat import count_chat
from ctxlab.core.dataset_count import (
    DatasetOptions,
    count_dataset,
    merged,
    over_budget,
    percentiles,
    training_size,
)
from ctxlab.core.datasets import iter_batches
from ctxlab.core.tokenizers import get_tokenizer

ROWS = [
    {"text": "The dragon slept on its gold.", "meta": {"title": "Chapter one"},
     "messages": [{"role": "user", "content": "Where is the gold?"},
                  {"role": "assistant", "content": "Under the dragon."}]},
    {"text": "日本語と English 👩‍💻 " * 5, "meta": {"title": None}},
    {"other": 1},
    {"text": "<|endoftext|> is ordinary text here", "meta": {"title": "Two"}},
]
ENC = tiktoken.get_encoding("cl100k_base")


def expected(row) -> int:
    texts = [row.get("text"), (row.get("meta") or {}).get("title")]
    return sum(len(ENC.encode_ordinary(t)) for t in texts if isinstance(t, str))


def write_all(root):
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS).encode()
    (root / "d.jsonl").write_bytes(lines)
    (root / "d.jsonl.gz").write_bytes(gzip.compress(lines))
    (root / "d.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    pq.write_table(pa.Table.from_pylist(ROWS), root / "d.parquet", row_group_size=2)
    return ["d.jsonl", "d.jsonl.gz", "d.jsonl.zst", "d.parquet"]


OPTIONS = DatasetOptions(("cl100k_base",), ("text", "meta.title"), jobs=1)


@pytest.mark.parametrize("name", ["d.jsonl", "d.jsonl.gz", "d.jsonl.zst", "d.parquet"])
def test_every_format_counts_the_fields_exactly(tmp_path, name):
    write_all(tmp_path)
    (result,) = count_dataset(str(tmp_path / name), OPTIONS)
    assert list(result.per_record["cl100k_base"]) == [expected(r) for r in ROWS]
    assert (result.rows, result.empty) == (4, 1)


def test_batches_stream_and_account_for_every_byte(tmp_path):
    write_all(tmp_path)
    for name in ("d.jsonl.gz", "d.parquet"):
        batches = list(iter_batches(tmp_path / name, ["text"], batch_rows=2))
        assert [len(b.records) for b in batches if b.records] == [2, 2]
        assert sum(b.consumed for b in batches) == (tmp_path / name).stat().st_size


def test_lists_fan_out_along_a_dotted_path(tmp_path):
    write_all(tmp_path)
    options = DatasetOptions(("cl100k_base",), ("messages.content",), jobs=1)
    (result,) = count_dataset(str(tmp_path / "d.jsonl"), options)
    first = sum(len(ENC.encode_ordinary(m["content"])) for m in ROWS[0]["messages"])
    assert list(result.per_record["cl100k_base"]) == [first, 0, 0, 0]


def test_chat_records_count_with_the_chat_template(tmp_path):
    write_all(tmp_path)
    options = DatasetOptions(("cl100k_base",), ("messages",), chat=True, jobs=1)
    (result,) = count_dataset(str(tmp_path / "d.parquet"), options)
    templated = count_chat(get_tokenizer("cl100k_base"), ROWS[0]["messages"]).chat_tokens
    assert list(result.per_record["cl100k_base"]) == [templated, 0, 0, 0]
    assert result.empty == 3


def test_parallel_batches_equal_the_serial_run(tmp_path):
    rows = [{"text": f"record {i} " + "word " * (i % 50)} for i in range(3000)]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    serial = count_dataset(str(tmp_path / "big.jsonl"), OPTIONS)[0]
    parallel = count_dataset(str(tmp_path / "big.jsonl"),
                             DatasetOptions(("cl100k_base",), ("text",), jobs=2))[0]
    assert list(parallel.per_record["cl100k_base"]) == list(serial.per_record["cl100k_base"])


def test_hf_dataset_reads_one_split_from_the_local_cache(tmp_path, monkeypatch):
    snapshot = tmp_path / "hub" / "datasets--org--tiny" / "snapshots" / "abc123" / "data"
    snapshot.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(ROWS[:2]), snapshot / "train-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(ROWS[:1:-1]), snapshot / "test-00000-of-00001.parquet")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    train = merged(count_dataset("hf-dataset:org/tiny", OPTIONS))
    test = merged(count_dataset("hf-dataset:org/tiny:test", OPTIONS))
    assert train.tokens["cl100k_base"] == sum(expected(r) for r in ROWS[:2])
    assert test.tokens["cl100k_base"] == sum(expected(r) for r in ROWS[2:])


def test_percentiles_budget_and_training_size():
    values = list(range(1, 101))
    assert percentiles(values) == {"p50": 50, "p90": 90, "p99": 99, "max": 100}
    assert percentiles([]) == {"p50": 0, "p90": 0, "p99": 0, "max": 0}
    assert over_budget(values, 95) == 5
    size = training_size(2_000_000_000)
    assert size.params == 100_000_000 and size.flops == 6 * 100_000_000 * 2_000_000_000


def ctxlab(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "ctxlab", "count", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    return result


def test_cli_reports_json_budget_and_clear_errors(tmp_path):
    write_all(tmp_path)
    result = ctxlab("d.jsonl.zst", "d.parquet", "--field", "text", "--field", "meta.title",
                    "-t", "cl100k_base", "-f", "json", "--budget-per-record", "10", cwd=tmp_path)
    doc = json.loads(result.stdout)
    total = sum(expected(r) for r in ROWS)
    assert result.returncode == 1 and "over budget" in result.stderr
    assert doc["total"]["tokenizers"]["cl100k_base"]["tokens"] == 2 * total
    assert doc["total"]["records"] == 8
    assert doc["training"]["chinchilla_params"] == 2 * total // 20
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{broken\n', "utf-8")
    bad = ctxlab("bad.jsonl", "--field", "text", cwd=tmp_path)
    assert bad.returncode == 2 and "bad.jsonl: line 2 is not JSON" in bad.stderr
    mixed = ctxlab("d.jsonl", "notes.txt", "--field", "text", cwd=tmp_path)
    assert mixed.returncode == 2 and "datasets only" in mixed.stderr


def test_invalid_chat_records_are_skipped_counted_zero_and_reported(tmp_path):
    good = [{"role": "user", "content": "Hello there"}]
    rows = [{"messages": good}, {"messages": "not a list"}, {"messages": [{"content": "x"}]},
            {"messages": good}]
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    options = DatasetOptions(("cl100k_base",), ("messages",), chat=True, jobs=1)
    (result,) = count_dataset(str(path), options)
    templated = count_chat(get_tokenizer("cl100k_base"), good).chat_tokens
    assert list(result.per_record["cl100k_base"]) == [templated, 0, 0, templated]
    assert (result.rows, result.invalid) == (4, 2)
    assert "record" in result.problem
    cli = subprocess.run([sys.executable, "-m", "ctxlab", "count", "--chat", str(path), "-f",
                          "json", "-t", "cl100k_base"], capture_output=True, text=True, timeout=120)
    assert cli.returncode == 3 and "Traceback" not in cli.stderr
    assert "2 record(s) skipped as invalid" in cli.stderr
    assert json.loads(cli.stdout)["total"]["invalid_records"] == 2
