"""``count --executor ray`` equals the local path, on one local Ray started here (slow)."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ctxlab.core.counting import CountOptions, count_files
from ctxlab.core.dataset_count import DatasetOptions, count_dataset
from ctxlab.core.discovery import WalkOptions, discover

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


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_counts_equal_the_local_process_pool(tmp_path, local_ray):
    from ctxlab.core.ray_count import count_with_ray

    files = generated_dataset(tmp_path)
    options = DatasetOptions(("cl100k_base", "o200k_base"), ("text", "meta.title"), jobs=2)
    local = [r for f in files for r in count_dataset(f, options)]
    remote = count_with_ray(files, options)  # one actor, one CPU left for reads
    assert [r.path for r in remote] == files
    for mine, theirs in zip(local, remote, strict=True):
        assert (theirs.rows, theirs.empty, theirs.tokens) == (mine.rows, mine.empty, mine.tokens)
        for name in options.tokenizers:
            assert sorted(theirs.per_record[name]) == sorted(mine.per_record[name])


def test_files_counted_on_ray_equal_the_local_pool_and_fill_the_cache(tmp_path, local_ray):
    from ctxlab.core.ray_count import file_counter

    root = tmp_path / "tree"
    texts = {"a.md": "The dragon slept.\n" * 40, "sub/b.py": "def f(x):\n    return x\n",
             "sub/c.txt": "日本語と English 👩‍💻 <|endoftext|>\n", "empty.txt": "",
             "bom.txt": "\ufeffhello", "latin1.txt": None, "bin.dat": None}
    for rel, text in texts.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if text is not None:
            (root / rel).write_text(text, "utf-8")
    (root / "latin1.txt").write_bytes("café".encode("latin-1"))
    (root / "bin.dat").write_bytes(b"\x00\x01binary")
    paths = [str(p) for p in discover([root], WalkOptions()).files]
    old = 1_600_000_000_000_000_000
    for path in paths:
        os.utime(path, ns=(old, old))
    options = CountOptions(("cl100k_base", "o200k_base"), jobs=1,
                           cache_path=str(tmp_path / "counts.sqlite3"))
    local = count_files(paths, CountOptions(options.tokenizers, jobs=1))
    remote = count_files(paths, options, remote=file_counter())
    assert remote == local
    assert {fc.status for fc in remote} >= {"ok", "empty", "binary", "non-utf8"}
    sent: list[str] = []
    again = file_counter()
    warm = count_files(paths, options, remote=lambda todo, o: sent.extend(todo) or again(todo, o))
    assert warm == local
    assert sorted(os.path.basename(p) for p in sent) == ["bin.dat", "latin1.txt"]  # not cached
