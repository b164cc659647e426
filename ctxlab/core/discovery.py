"""Find the files a count should read: inside a git work tree, exactly the files git lists.

With ignore rules on, the files found under a directory are what ``git ls-files
--cached --others --exclude-standard`` lists there: ``.gitignore`` files at every
level, ``.git/info/exclude`` and ``core.excludesFile`` (see ``gitignore``), and
tracked files even when a rule matches them (see ``gitrepo``). Outside a repository
the same rules apply to the ``.gitignore`` files in the tree.

Walks read regular files only: FIFOs, sockets and devices (also behind symlinks)
are skipped and reported, so a walk can never block or read without end; directory
symlinks are reported, not followed, so a loop cannot hang it. Those are
``skipped`` (like binary files, not an error); ``problems`` are paths that should
have been readable and were not. A FIFO, device or
``/dev/stdin`` the user *names* is read as a (bounded) stream. Each file is listed
once however the arguments overlap.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ctxlab.core.gitignore import IgnoreList, is_ignored
from ctxlab.core.gitrepo import find_repo, ignore_list

ALWAYS_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
DIR_SYMLINK = "directory symlink: not followed"
_KINDS = ("a FIFO", "a socket", "a character device", "a block device", "a directory",
          "not a regular file")
_NOT_REGULAR = {kind: f"{kind}, not a regular file: skipped" for kind in _KINDS}
_NOT_FILES = frozenset({DIR_SYMLINK, *_NOT_REGULAR.values()})


@dataclass(frozen=True)
class WalkOptions:
    hidden: bool = False  # include dot-files and dot-directories
    gitignore: bool = True
    include: tuple[str, ...] = ()  # glob patterns on the relative path or file name
    exclude: tuple[str, ...] = ()


@dataclass
class Discovery:
    """What a walk found: files to read, and what it refused to read."""

    files: list[Path] = field(default_factory=list)
    ignored: int = 0  # excluded by ignore rules, --exclude or hidden rules
    problems: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason): errors
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not files to read: reported
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, path: Path) -> None:
        key = os.path.normpath(os.path.abspath(path))
        if key not in self._seen:
            self._seen.add(key)
            self.files.append(path)


def discover(paths: list[Path], options: WalkOptions) -> Discovery:
    """Expand files and directories into the files to count, in a stable order."""
    found = Discovery()
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            found.problems.append((path, _missing_reason(path, exc)))
            continue
        if stat.S_ISDIR(mode):
            _walk(Path(os.path.normpath(path)), options, found)
        elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            found.add(path)  # named explicitly: always read (a FIFO or device as a stream)
        else:
            found.problems.append((path, f"is {_kind(mode)}, not a file"))
    return found


def _missing_reason(path: Path, exc: OSError) -> str:
    if os.path.islink(path):
        return "broken or looping symlink"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    return exc.strerror or type(exc).__name__


def _kind(mode: int) -> str:
    tests = (stat.S_ISFIFO, stat.S_ISSOCK, stat.S_ISCHR, stat.S_ISBLK, stat.S_ISDIR)
    return next((kind for test, kind in zip(tests, _KINDS, strict=False) if test(mode)),
                _KINDS[-1])


@dataclass(frozen=True)
class _Rules:
    """The ignore state of one walk: where git's top is and what it knows."""

    prefix: str  # the walk root relative to the top ("" or "a/b/")
    base_lists: tuple[IgnoreList, ...]
    tracked: frozenset[str]
    tracked_dirs: frozenset[str]


def _rules(root: Path, options: WalkOptions) -> _Rules | None:
    if not options.gitignore:
        return None
    absolute = Path(os.path.normpath(os.path.abspath(root)))
    repo = find_repo(absolute)
    if repo is None:
        return _Rules("", (), frozenset(), frozenset())
    rel_root = absolute.relative_to(repo.top).as_posix()
    prefix = "" if rel_root == "." else rel_root + "/"
    lists = list(repo.excludes)
    # The .gitignore of every directory above the root: a directory the user names is
    # counted even if the repo ignores it, but the repo's rules still apply inside it.
    parts = prefix.rstrip("/").split("/") if prefix else []
    for depth in range(len(parts)):
        base = "/".join(parts[:depth])
        found = ignore_list(repo.top.joinpath(*parts[:depth], ".gitignore"), base)
        if found is not None:
            lists.append(found)
    return _Rules(prefix, tuple(lists), repo.tracked, repo.tracked_dirs())


def _walk(root: Path, options: WalkOptions, found: Discovery) -> None:
    """Depth-first, sorted, files of a directory before its subdirectories."""
    rules = _rules(root, options)
    top = os.fspath(root)
    base = rules.base_lists if rules else ()
    stack: list[tuple[str, tuple[IgnoreList, ...], bool]] = [("", base, False)]
    while stack:
        rel_dir, lists, tracked_only = stack.pop()
        directory = os.path.join(top, rel_dir) if rel_dir else top
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append((Path(directory), exc.strerror or type(exc).__name__))
            continue
        git_dir = rules.prefix + rel_dir if rules else ""
        if rules and not tracked_only:
            own = ignore_list(Path(directory, ".gitignore"), git_dir)
            if own is not None:
                lists = (*lists, own)
        subdirs: list[tuple[str, bool]] = []
        for entry in entries:
            if entry.name in ALWAYS_SKIPPED_DIRS:
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            verdict = _classify(entry, rel, lists, tracked_only, rules, options)
            if verdict == "ignored":
                found.ignored += 1
            elif verdict in ("dir", "tracked-dir"):
                subdirs.append((rel, verdict == "tracked-dir"))
            elif verdict == "file":
                found.add(Path(entry.path))
            elif verdict in _NOT_FILES:
                found.skipped.append((Path(entry.path), verdict))
            else:
                found.problems.append((Path(entry.path), verdict))
        stack.extend((sub, lists, only) for sub, only in reversed(subdirs))


def _classify(entry: os.DirEntry, rel: str, lists, tracked_only: bool, rules: _Rules | None,
              options: WalkOptions) -> str:
    """"file", "dir", "tracked-dir" (ignored, but git tracks files in it), "ignored",
    or the reason a path is reported."""
    name = entry.name
    git_rel = (rules.prefix if rules else "") + rel
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:  # vanished since the directory was listed
        return exc.strerror or type(exc).__name__
    try:
        target: int | None = os.stat(entry.path).st_mode if stat.S_ISLNK(mode) else mode
    except OSError:
        target = None
    is_dir = stat.S_ISDIR(mode)
    if tracked_only:
        if is_dir and git_rel in rules.tracked_dirs:  # type: ignore[union-attr]
            return "tracked-dir"
        if not is_dir and git_rel in rules.tracked and _selected(rel, name, options):  # type: ignore[union-attr]
            return "file" if target is not None and stat.S_ISREG(target) else "ignored"
        return "ignored"
    if not options.hidden and name.startswith("."):
        return "ignored"
    tracked = rules is not None and git_rel in rules.tracked
    if is_dir:
        if _matches(rel + "/", name, options.exclude):
            return "ignored"
        if rules and is_ignored(git_rel, True, lists):
            return "tracked-dir" if git_rel in rules.tracked_dirs else "ignored"
        return "dir"
    if not tracked and rules and is_ignored(git_rel, False, lists):
        return "ignored"
    if not _selected(rel, name, options):
        return "ignored"
    if target is None:
        return "broken or looping symlink"
    if stat.S_ISDIR(target):
        return DIR_SYMLINK
    if not stat.S_ISREG(target):
        return _NOT_REGULAR[_kind(target)]
    return "file"


def _matches(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _selected(rel: str, name: str, options: WalkOptions) -> bool:
    if options.include and not _matches(rel, name, options.include):
        return False
    return not _matches(rel, name, options.exclude)
