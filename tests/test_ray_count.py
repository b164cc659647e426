"""``count --executor ray`` equals the local path, on a local Ray started here (slow: one test)."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ctxlab.core.dataset_count import DatasetOptions, count_dataset

ray = pytest.importorskip("ray")


def generated_dataset(root):
    """Three Parquet files (several row groups), two JSONL files, one gzipped."""
    words = "dragon gold knight 日本語 naïve 👩‍💻 <|endoftext|> def f(x): return x".split()
    files = []
    for f in range(5):
        rows = [{"text": " ".join(words[(i * 7 + j) % len(words)] for j in range(i % 40)),
                 "meta": {"title": f"file {f} row {i}"}} for i in range(700 + 150 * f)]
        if f < 3:
            path = root / f"part-{f}.parquet"
            pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=256)
        else:
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
            path = root / (f"part-{f}.jsonl.gz" if f == 4 else f"part-{f}.jsonl")
            path.write_bytes(gzip.compress(lines) if f == 4 else lines)
        files.append(str(path))
    return files


def test_ray_counts_equal_the_local_process_pool(tmp_path):
    from ctxlab.core.ray_count import count_with_ray

    files = generated_dataset(tmp_path)
    options = DatasetOptions(("cl100k_base", "o200k_base"), ("text", "meta.title"), jobs=2)
    local = [r for f in files for r in count_dataset(f, options)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = count_with_ray(files, options)  # one actor, one CPU left for reads
    finally:
        ray.shutdown()
    assert [r.path for r in remote] == files
    for mine, theirs in zip(local, remote, strict=True):
        assert (theirs.rows, theirs.empty, theirs.tokens) == (mine.rows, mine.empty, mine.tokens)
        for name in options.tokenizers:
            assert sorted(theirs.per_record[name]) == sorted(mine.per_record[name])
