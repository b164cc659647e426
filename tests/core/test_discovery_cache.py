"""A remembered walk lists only what changed, and always finds what a fresh walk finds."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxlab.core import discovery
from ctxlab.core.discovery import WalkOptions, discover
from ctxlab.core.discovery_cache import WalkMemo

LONG_AGO = 1_600_000_000 * 10**9  # old enough that no stat is "racily" recent


def age(*paths: Path, step: int = 0) -> None:
    for path in paths:
        os.utime(path, ns=(LONG_AGO + step * 10**10,) * 2, follow_symlinks=False)


def build(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    age(*root.rglob("*"), root)


@pytest.fixture()
def listed(monkeypatch):
    """The directories the walk actually listed."""
    seen: list[str] = []
    real = discovery._list

    def spy(directory, *args):
        seen.append(directory)
        return real(directory, *args)

    monkeypatch.setattr(discovery, "_list", spy)
    return seen


def same(a, b) -> bool:
    return (a.files, a.ignored, a.problems, a.skipped) == (b.files, b.ignored, b.problems,
                                                           b.skipped)


def test_an_unchanged_tree_is_not_listed_again(tmp_path, listed):
    root = tmp_path / "t"
    build(root, {"a.txt": "", "sub/b.py": "", "sub/deep/c.log": "", ".gitignore": "*.log\n"})
    memo = WalkMemo(tmp_path / "cache.sqlite3")
    cold = discover([root], WalkOptions(), memo)
    assert len(listed) == 3
    listed.clear()
    warm = discover([root], WalkOptions(), WalkMemo(tmp_path / "cache.sqlite3"))
    assert listed == [] and same(warm, cold)
    assert [p.name for p in warm.files] == ["a.txt", "b.py"] and warm.ignored == 2


def test_a_new_file_relists_only_its_directory(tmp_path, listed):
    root = tmp_path / "t"
    build(root, {"a.txt": "", "sub/b.py": "", "other/c.py": ""})
    db = tmp_path / "cache.sqlite3"
    discover([root], WalkOptions(), WalkMemo(db))
    listed.clear()
    (root / "sub" / "new.py").write_text("")
    age(root / "sub" / "new.py", root / "sub", step=1)
    warm = discover([root], WalkOptions(), WalkMemo(db))
    assert listed == [str(root / "sub")]
    assert same(warm, discover([root], WalkOptions()))


def test_an_ignore_file_edited_in_place_relists_everything_under_it(tmp_path, listed):
    root = tmp_path / "t"
    build(root, {"sub/.gitignore": "*.log\n", "sub/a.log": "", "sub/in/b.log": "",
                 "sub/in/c.txt": "", "top.log": ""})
    db = tmp_path / "cache.sqlite3"
    assert {p.name for p in discover([root], WalkOptions(), WalkMemo(db)).files} == {
        "c.txt", "top.log"}
    listed.clear()
    (root / "sub" / ".gitignore").write_text("*.txt\n")  # the directory's mtime is kept
    age(root / "sub" / ".gitignore", step=1)
    age(root / "sub")
    warm = discover([root], WalkOptions(), WalkMemo(db))
    assert {p.name for p in warm.files} == {"a.log", "b.log", "top.log"}
    assert listed == [str(root / "sub"), str(root / "sub" / "in")]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_file_git_starts_tracking_is_found(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    build(root, {".gitignore": "*.log\n", "keep.log": "", "a.txt": ""})
    db = tmp_path / "cache.sqlite3"
    assert [p.name for p in discover([root], WalkOptions(), WalkMemo(db)).files] == ["a.txt"]
    subprocess.run(["git", "-C", str(root), "add", "-f", "keep.log"], check=True)
    age(root / ".git" / "index")
    warm = discover([root], WalkOptions(), WalkMemo(db))
    assert [p.name for p in warm.files] == ["a.txt", "keep.log"]


def test_a_symlink_whose_target_changes_is_classified_again(tmp_path):
    root = tmp_path / "t"
    build(root, {"in/a.txt": "", "elsewhere/x": "a file"})
    os.symlink(root / "elsewhere" / "x", root / "in" / "link")
    age(root / "in")
    db = tmp_path / "cache.sqlite3"
    cold = discover([root / "in"], WalkOptions(), WalkMemo(db))
    assert [p.name for p in cold.files] == ["a.txt", "link"]
    (root / "elsewhere" / "x").unlink()
    (root / "elsewhere" / "x").mkdir()  # "in" itself is untouched: only the target changed
    warm = discover([root / "in"], WalkOptions(), WalkMemo(db))
    assert [p.name for p in warm.files] == ["a.txt"]
    assert warm.skipped == [(root / "in" / "link", discovery.DIR_SYMLINK)]


NAMES = ["a", "b", "sub"]
FILES = ["f.py", "g.log", "h.txt"]
PATTERNS = ["*.log", "!g.log", "sub/", "*.py", "/f.py", "a/", "!*.txt", "h.*"]
places = st.lists(st.sampled_from(NAMES), max_size=2).map("/".join)
steps = st.lists(st.one_of(
    st.tuples(st.just("add"), places, st.sampled_from(FILES)),
    st.tuples(st.just("remove"), places, st.sampled_from(FILES)),
    st.tuples(st.just("ignore"), places, st.lists(st.sampled_from(PATTERNS), max_size=3)),
), min_size=1, max_size=6)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps, st.booleans())
def test_a_remembered_walk_always_equals_a_fresh_one(tmp_path_factory, changes, hidden):
    base = tmp_path_factory.mktemp("m")
    root = base / "t"
    build(root, {"a/f.py": "", "b/g.log": "", "h.txt": "", "sub/a/f.py": "", ".gitignore": "",
                 "a/.gitignore": "", "sub/.gitignore": ""})
    db = base / "cache.sqlite3"
    options = WalkOptions(hidden=hidden)
    discover([root], options, WalkMemo(db))
    for step, (kind, place, what) in enumerate(changes, start=1):
        where = root / place
        where.mkdir(parents=True, exist_ok=True)
        if kind == "add":
            (where / what).write_text("x")
            age(where / what, where, step=step)
        elif kind == "remove" and (where / what).exists():
            (where / what).unlink()
            age(where, step=step)
        elif kind == "ignore":  # an edit in place leaves the directory's stat as it was
            created = not (where / ".gitignore").exists()
            (where / ".gitignore").write_text("\n".join(what) + "\n")
            age(where / ".gitignore", *([where] if created else []), step=step)
        for parent in [where, *where.parents]:
            if parent == root.parent:
                break
            if parent.stat().st_mtime_ns > LONG_AGO * 2:  # made just now by mkdir
                age(parent, step=step)
        assert same(discover([root], options, WalkMemo(db)), discover([root], options))
