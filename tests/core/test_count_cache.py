"""The count cache: warm runs equal cold ones, edits are seen, damage costs only a re-count."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
import tiktoken

from ctxlab.core import count_cache, counting
from ctxlab.core.counting import CountOptions, count_files

TEXTS = {"a.md": "The dragon slept.\n" * 40, "b.py": "def f(x):\n    return x * 2\n",
         "c.txt": "日本語と English 👩‍💻\n", "empty.txt": ""}


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    old = 1_600_000_000_000_000_000  # long ago, so the stat pre-check is trusted
    for name, text in TEXTS.items():
        path = root / name
        path.write_text(text, "utf-8")
        os.utime(path, ns=(old, old))
    return root


@pytest.fixture()
def counted(monkeypatch):
    """Records which paths were actually read and tokenized."""
    seen: list[str] = []
    real = counting._count_chunk

    def spy(paths, options):
        seen.extend(paths)
        return real(paths, options)

    monkeypatch.setattr(counting, "_count_chunk", spy)
    return seen


def run(root, db, **kw):
    options = CountOptions(("cl100k_base", "o200k_base"), jobs=1, cache_path=str(db), **kw)
    notes: list[str] = []
    return count_files(sorted(root.iterdir()), options, notify=notes.append), notes


def test_warm_run_reads_nothing_and_equals_the_cold_run(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    cold, _ = run(tree, db)
    assert len(counted) == len(TEXTS)
    counted.clear()
    warm, notes = run(tree, db)
    assert counted == [] and notes == []
    assert warm == cold
    enc = tiktoken.get_encoding("cl100k_base")
    assert {os.path.basename(fc.path): fc.tokens["cl100k_base"] for fc in warm} == {
        name: len(enc.encode_ordinary(text)) for name, text in TEXTS.items()}


def test_editing_one_file_recounts_only_that_file(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    run(tree, db)
    counted.clear()
    (tree / "b.py").write_text("def g(y):\n    return y + 1\n", "utf-8")  # same size, new text
    warm, _ = run(tree, db)
    assert [os.path.basename(p) for p in counted] == ["b.py"]
    b = next(fc for fc in warm if fc.path.endswith("b.py"))
    assert b.tokens["cl100k_base"] == len(tiktoken.get_encoding("cl100k_base").encode_ordinary(
        "def g(y):\n    return y + 1\n"))


def test_an_edit_within_the_same_timestamp_is_never_missed(tmp_path, counted):
    root = tmp_path / "tree"
    root.mkdir()
    path = root / "x.txt"
    path.write_text("first version", "utf-8")
    stamp = path.stat().st_mtime_ns
    db = tmp_path / "counts.sqlite3"
    run(root, db)
    path.write_text("other version", "utf-8")  # same size, and force the same mtime
    os.utime(path, ns=(stamp, stamp))
    (fc,), _ = run(root, db)
    assert fc.tokens["cl100k_base"] == len(
        tiktoken.get_encoding("cl100k_base").encode_ordinary("other version"))


def test_other_options_and_engines_do_not_share_entries(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    run(tree, db)
    counted.clear()
    run(tree, db, engine="tiktoken")
    assert len(counted) == len(TEXTS)
    counted.clear()
    run(tree, db, allow_special=True)
    assert len(counted) == len(TEXTS)


def test_a_corrupt_cache_is_set_aside_and_rebuilt(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    cold, _ = run(tree, db)
    db.write_bytes(b"this is not a database" * 100)
    again, notes = run(tree, db)
    assert again == cold
    assert len(notes) == 1 and "rebuilt" in notes[0]
    assert (tmp_path / "counts.sqlite3.corrupt").exists()
    counted.clear()
    assert run(tree, db)[0] == cold and counted == []


def test_the_cache_stays_bounded(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(count_cache, "MAX_CONTENTS", 2)
    db = tmp_path / "counts.sqlite3"
    run(tree, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM content").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(DISTINCT digest) FROM tokens").fetchone()[0] == 2


def test_processes_counting_at_once_all_finish_with_equal_output(tree, tmp_path):
    env = {**os.environ, "CTXLAB_CACHE_DIR": str(tmp_path / "shared")}
    cmd = [sys.executable, "-m", "ctxlab", "count", str(tree), "-f", "json", "-q"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert len({out for out, _ in outs}) == 1
    assert (tmp_path / "shared" / "counts.sqlite3").exists()


def test_no_cache_leaves_no_cache_file(tree, tmp_path):
    env = {**os.environ, "CTXLAB_CACHE_DIR": str(tmp_path / "none")}
    result = subprocess.run([sys.executable, "-m", "ctxlab", "count", str(tree), "--no-cache",
                             "-q"], env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "none" / "counts.sqlite3").exists()


def test_a_warm_run_writes_nothing_until_its_hits_need_a_new_last_used_stamp(tree, tmp_path,
                                                                             monkeypatch):
    db = tmp_path / "counts.sqlite3"
    run(tree, db)
    before = db.read_bytes()
    run(tree, db)
    assert db.read_bytes() == before
    with sqlite3.connect(db) as conn:
        (stamped,) = conn.execute("SELECT MAX(used) FROM runs").fetchone()
    monkeypatch.setattr(count_cache, "STAMP_USED_NS", -1)  # every hit is now "long unused"
    run(tree, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT MIN(used) FROM runs").fetchone()[0] > stamped


def test_a_warm_run_is_answered_by_its_run_row_and_stays_exact(tree, tmp_path, counted,
                                                             monkeypatch):
    db = tmp_path / "counts.sqlite3"
    cold, _ = run(tree, db)
    rows = count_cache.CountCache._look_up_rows
    monkeypatch.setattr(count_cache.CountCache, "_look_up_rows", None)  # any use would fail
    counted.clear()
    assert run(tree, db)[0] == cold and counted == []
    monkeypatch.setattr(count_cache.CountCache, "_look_up_rows", rows)
    (tree / "a.md").write_text("A new text.\n", "utf-8")
    warm, _ = run(tree, db)
    assert [os.path.basename(p) for p in counted] == ["a.md"]
    a = next(fc for fc in warm if fc.path.endswith("a.md"))
    assert a.tokens["cl100k_base"] == len(
        tiktoken.get_encoding("cl100k_base").encode_ordinary("A new text.\n"))
    assert [fc for fc in warm if fc is not a] == [fc for fc in cold if fc.path != a.path]


def test_other_paths_and_damaged_run_rows_fall_back_to_the_tables(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    cold, _ = run(tree, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET numbers = x'00'")
    counted.clear()
    assert run(tree, db)[0] == cold and counted == []  # every path found in the tables
    subset = CountOptions(("cl100k_base", "o200k_base"), jobs=1, cache_path=str(db))
    part = count_files([tree / "c.txt", tree / "b.py"], subset)  # another run: another first file
    by_name = {os.path.basename(fc.path): fc for fc in cold}
    assert counted == [] and part == [by_name["c.txt"], by_name["b.py"]]


def test_a_version_1_cache_gains_the_runs_table_and_keeps_its_counts(tree, tmp_path, counted):
    db = tmp_path / "counts.sqlite3"
    cold, _ = run(tree, db)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE runs")
        conn.execute("PRAGMA user_version = 1")
    counted.clear()
    warm, notes = run(tree, db)
    assert warm == cold and counted == [] and notes == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
