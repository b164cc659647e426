"""Inside a git work tree, the files a walk finds are exactly the files git lists."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxlab.core.discovery import WalkOptions, discover
from ctxlab.core.gitignore import IgnoreList, is_ignored, parse_lines

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
EVERYTHING = WalkOptions(hidden=True)


def git(repo: Path, *args: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1",
           "XDG_CONFIG_HOME": str(repo.parent / "xdg")}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          env=env, text=True).stdout


def git_lists(repo: Path) -> set[str]:
    return set(git(repo, "ls-files", "--cached", "--others", "--exclude-standard").splitlines())


def found(root: Path, *paths: Path, options: WalkOptions = EVERYTHING) -> set[str]:
    d = discover(list(paths) or [root], options)
    return {p.resolve().relative_to(root.resolve()).as_posix() for p in d.files}


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_whitelist_gitignore_keeps_files_in_subdirectories(tmp_path):
    repo = make_repo(tmp_path / "r", {".gitignore": "*\n!*.py\n!*/\n", "a.py": "", "b.txt": "",
                                      "in/c.py": "", "in/d.txt": ""})
    assert found(repo) == git_lists(repo) == {"a.py", "in/c.py"}


def test_info_exclude_and_core_excludes_file_are_read(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.log": "", "b.tmp": "", "c.txt": "", "d.bak": ""})
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("*.log\n")
    (tmp_path / "global-ignore").write_text("*.tmp\n")
    git(repo, "config", "core.excludesFile", str(tmp_path / "global-ignore"))
    (tmp_path / "xdg" / "git").mkdir(parents=True)
    (tmp_path / "xdg" / "git" / "ignore").write_text("*.bak\n")  # not read: excludesFile is set
    assert found(repo) == git_lists(repo) == {"c.txt", "d.bak"}


def test_tracked_files_count_even_when_ignored(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "r", {".gitignore": "*.log\nbuild/\n", "kept.log": "x",
                                      "build/out.txt": "y", "build/junk.txt": "z", "a.txt": ""})
    git(repo, "add", "-f", "kept.log", "build/out.txt")
    assert found(repo) == git_lists(repo) == {".gitignore", "a.txt", "kept.log",
                                              "build/out.txt"}


def test_a_named_ignored_directory_keeps_the_repo_rules_inside_it(tmp_path):
    repo = make_repo(tmp_path / "r", {".gitignore": "*.log\nvendor/\n", "vendor/a.txt": "",
                                      "vendor/b.log": "", "sub/c.log": "", "sub/d.txt": ""})
    assert found(repo, repo / "vendor") == {"vendor/a.txt"}  # named: counted, minus *.log
    assert found(repo, repo / "sub" / ".." / "sub") == {"sub/d.txt"}


def test_directory_symlinks_fifos_and_devices_are_reported_not_read(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "hi", "in/b.txt": ""})
    os.symlink("in", repo / "link")
    os.symlink("/dev/zero", repo / "zero.txt")
    os.mkfifo(repo / "pipe.txt")
    d = discover([repo], EVERYTHING)
    assert {p.name for p in d.files} == {"a.txt", "b.txt"}
    assert d.problems == []
    reasons = {p.name: r for p, r in d.skipped}
    assert reasons == {"link": "directory symlink: not followed",
                       "pipe.txt": "a FIFO, not a regular file: skipped",
                       "zero.txt": "a character device, not a regular file: skipped"}


def test_overlapping_arguments_list_each_file_once(tmp_path):
    root = make_repo(tmp_path / "d", {"a.txt": "", "sub/b.txt": ""})
    d = discover([root, root / "sub", root / "a.txt", root / "sub" / ".." / "a.txt"], EVERYTHING)
    assert sorted(p.name for p in d.files) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "ignored"), [
    ("*.log", "a/b/c.log", False, True),
    ("/top.txt", "a/top.txt", False, False),
    ("doc/*.txt", "doc/x/y.txt", False, False),  # * never crosses a slash
    ("doc/**/y.txt", "doc/x/z/y.txt", False, True),
    ("**/foo", "a/b/foo", True, True),
    ("a/**", "a/b/c", False, True),
    ("a**b", "a/x/b", False, False),  # ** not beside a slash is a plain *
    ("build/", "build", False, False),  # directories only
    ("[!a]*.c", "b.c", False, True),
    ("[[:digit:]]x", "7x", False, True),
    ("\\#hash", "#hash", False, True),
    ("trailing\\ ", "trailing ", False, True),
    ("x[", "x[", False, True),  # an unclosed class is a literal
])
def test_wildmatch_cases_from_gitignore_docs(pattern, path, is_dir, ignored):
    assert is_ignored(path, is_dir, [IgnoreList("", tuple(parse_lines([pattern])))]) is ignored


NAMES = ["a", "b", "sub", ".h", "x y"]
FILES = ["f.py", "g.log", "h.txt", "keep.log", ".e", "n[1].md"]
PATTERNS = ["*.log", "!keep.log", "*", "!*/", "!*.py", "sub/", "/f.py", "**/b", "a/**",
            "*.t?t", "[fg].*", "!h.txt", "b/", "# c", "\\#x", "a/*.py", "**/sub/*.md", ".*",
            "!.gitignore", "sub", "x y/", "*.md", "!sub/", "/a/", "h.txt ", "n\\[1\\].md"]


@st.composite
def trees(draw):
    dirs = draw(st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map("/".join),
                         max_size=5, unique=True))
    places = ["", *dirs]
    files = draw(st.lists(st.tuples(st.sampled_from(places), st.sampled_from(FILES)),
                          min_size=1, max_size=14, unique=True))
    ignores = draw(st.dictionaries(st.sampled_from(places),
                                   st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=5),
                                   max_size=3))
    exclude = draw(st.lists(st.sampled_from(PATTERNS), max_size=2))
    tracked = draw(st.lists(st.integers(0, len(files) - 1), max_size=3, unique=True))
    return files, ignores, exclude, tracked


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trees())
def test_git_parity_on_generated_repos(tmp_path_factory, tree):
    files, ignores, exclude, tracked = tree
    repo = make_repo(tmp_path_factory.mktemp("p") / "repo", {})
    paths = [f"{d}/{name}" if d else name for d, name in files]
    for rel in paths:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(rel)
    for place, lines in ignores.items():
        (repo / place).mkdir(parents=True, exist_ok=True)
        (repo / place / ".gitignore").write_text("\n".join(lines) + "\n")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("\n".join(exclude) + "\n")
    if tracked:
        git(repo, "add", "-f", "--", *(paths[i] for i in tracked))
    assert found(repo) == git_lists(repo)
