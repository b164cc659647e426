"""Counting starts while the walk is still finding files, and reports progress as it goes."""

from __future__ import annotations

from pathlib import Path

import tiktoken

from ctxlab.core import counting
from ctxlab.core.counting import LOOKUP_BATCH, CountOptions, count_files
from ctxlab.core.discovery import Discovery, WalkOptions, discover, walk


def make_tree(root, n):
    for i in range(n):
        sub = root / f"d{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:04d}.txt").write_text(f"file number {i}\n" * (i % 5 + 1), "utf-8")


def test_files_are_counted_before_the_walk_ends(tmp_path, monkeypatch):
    make_tree(tmp_path, LOOKUP_BATCH + 40)
    counted: list[str] = []
    real = counting._count_chunk
    monkeypatch.setattr(counting, "_count_chunk", lambda paths, o: counted.extend(paths)
                        or real(paths, o))
    counted_when_walk_ended = []

    def watched_walk():
        yield from walk([tmp_path], WalkOptions(), Discovery())
        counted_when_walk_ended.append(len(counted))

    options = CountOptions(("cl100k_base",), jobs=1)
    counts = count_files(watched_walk(), options)
    assert counted_when_walk_ended[0] >= LOOKUP_BATCH  # the first batch did not wait
    assert len(counts) == len(counted) == LOOKUP_BATCH + 40
    enc = tiktoken.get_encoding("cl100k_base")
    assert [fc.tokens["cl100k_base"] for fc in counts] == [
        len(enc.encode_ordinary(open(fc.path, encoding="utf-8").read())) for fc in counts]


def test_streamed_and_listed_walks_give_the_same_files_in_order(tmp_path):
    make_tree(tmp_path, 60)
    (tmp_path / ".gitignore").write_text("d3/\n*7.txt\n")
    listed = discover([tmp_path], WalkOptions())
    found = Discovery()
    assert [Path(p) for p in walk([tmp_path], WalkOptions(), found)] == listed.files == found.files
    assert found.ignored == listed.ignored > 0


def test_progress_totals_grow_with_the_walk_and_end_complete(tmp_path):
    make_tree(tmp_path, LOOKUP_BATCH * 2 + 10)
    seen: list[tuple[int, int]] = []
    options = CountOptions(("cl100k_base",), jobs=1)
    count_files(walk([tmp_path], WalkOptions(), Discovery()), options,
                lambda done, found: seen.append((done, found)))
    total = sum(p.stat().st_size for p in tmp_path.rglob("*.txt"))
    assert seen[-1] == (total, total)
    assert seen[0][1] < total  # the first report came before the walk had found everything
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(seen, seen[1:], strict=False))


def test_the_fast_engine_counts_in_one_process_and_others_in_workers(tmp_path, monkeypatch):
    for i in range(12):  # over PARALLEL_MIN_BYTES, so a pool would start
        (tmp_path / f"f{i}.txt").write_text(f"word {i} déjà vu\n" * (counting.CHUNK_BYTES // 40),
                                             "utf-8")
    pools = []
    real = counting._Pipeline._start_pool
    monkeypatch.setattr(counting._Pipeline, "_start_pool", lambda self: pools.append(1)
                        or real(self))
    enc = tiktoken.get_encoding("cl100k_base")
    expected = [len(enc.encode_ordinary(p.read_text("utf-8"))) for p in sorted(tmp_path.iterdir())]
    for engine, forks in (("fast", []), ("tiktoken", [1])):
        pools.clear()
        counts = count_files(sorted(tmp_path.iterdir()),
                             CountOptions(("cl100k_base",), jobs=2, engine=engine))
        assert [fc.tokens["cl100k_base"] for fc in counts] == expected
        assert pools == forks, engine


def test_a_file_system_that_reads_short_still_gives_the_whole_file(tmp_path, monkeypatch):
    """POSIX lets a read return less than asked before the end (some network file systems
    do): the text must not end where the first read did."""
    import os

    from ctxlab.core import textfile

    text = "a line of text\n" * 100_000  # 1.5 MB: the sniff and the rest
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_text(text[:5000])
    big.write_text(text)
    read = os.read
    monkeypatch.setattr(textfile.os, "read", lambda fd, n: read(fd, min(n, 4096)))
    assert textfile.read_text_file(small).text == text[:5000]
    assert textfile.read_text_file(big).text == text
