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
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from ctxlab.core import discovery_cache
from ctxlab.core.discovery_cache import WalkMemo
from ctxlab.core.gitignore import IgnoreList, is_ignored
from ctxlab.core.gitrepo import Repo, find_repo, ignore_list

ALWAYS_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
VERDICTS_VERSION = 1  # bump when a rule changes what a directory's listing yields
DIR_SYMLINK = "directory symlink: not followed"
_KINDS = ("a FIFO", "a socket", "a character device", "a block device", "a directory",
          "not a regular file")
_NOT_REGULAR = {kind: f"{kind}, not a regular file: skipped" for kind in _KINDS}
_NOT_FILES = frozenset({DIR_SYMLINK, *_NOT_REGULAR.values()})


class WalkOptions(NamedTuple):  # a frozen dataclass costs ~1 ms to define, at every start
    hidden: bool = False  # include dot-files and dot-directories
    gitignore: bool = True
    include: tuple[str, ...] = ()  # glob patterns on the relative path or file name
    exclude: tuple[str, ...] = ()


@dataclass
class Discovery:
    """What a walk found: files to read, and what it refused to read."""

    ignored: int = 0  # excluded by ignore rules, --exclude or hidden rules
    problems: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason): errors
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not files to read: reported
    _paths: list[str] = field(default_factory=list, repr=False)
    _seen: set[str] = field(default_factory=set, repr=False)

    @property
    def files(self) -> list[Path]:
        return [Path(p) for p in self._paths]

    def add(self, path: str, key: str | None = None) -> bool:
        """List ``path`` unless it already is; ``key`` is its absolute normalised path."""
        key = key or os.path.normpath(os.path.abspath(path))
        if key in self._seen:
            return False
        self._seen.add(key)
        self._paths.append(path)
        return True


def discover(paths: list[Path], options: WalkOptions, memo: WalkMemo | None = None
             ) -> Discovery:
    """Expand files and directories into the files to count, in a stable order."""
    found = Discovery()
    for _ in walk(paths, options, found, memo):
        pass
    return found


def walk(paths: list[Path], options: WalkOptions, found: Discovery,
         memo: WalkMemo | None = None) -> Iterator[str]:
    """``discover`` as it goes: each file to count is yielded (as a string: a big tree has
    many) as soon as it is found, so counting can start while the walk goes on; ``found``
    gathers everything else. With ``memo``, directories unchanged since an earlier walk
    are not listed again."""
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            found.problems.append((path, _missing_reason(path, exc)))
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(Path(os.path.normpath(path)), options, found, memo)
        elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            if found.add(str(path)):  # named explicitly: always read (a FIFO, device: a stream)
                yield str(path)
        else:
            found.problems.append((path, f"is {_kind(mode)}, not a file"))


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
    repo: Repo | None = None  # its index is read only if a directory has to be listed
    index_stamp: discovery_cache.Stamp | None = None  # the git index the tracked set came from

    @cached_property
    def tracked(self) -> frozenset[str]:
        return self.repo.tracked if self.repo else frozenset()

    @cached_property
    def tracked_dirs(self) -> frozenset[str]:
        return self.repo.tracked_dirs if self.repo else frozenset()


def _rules(root: Path, options: WalkOptions) -> _Rules | None:
    if not options.gitignore:
        return None
    absolute = Path(os.path.normpath(os.path.abspath(root)))
    repo = find_repo(absolute)
    if repo is None:
        return _Rules("", ())
    # Before the index is read: an index changed since is too recent to be trusted.
    index_stamp = discovery_cache.stamp(os.fspath(repo.git_dir / "index"))
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
    return _Rules(prefix, tuple(found for found in lists if found.patterns), repo, index_stamp)


def _walk(root: Path, options: WalkOptions, found: Discovery,
          memo: WalkMemo | None) -> Iterator[str]:
    """Depth-first, sorted, files of a directory before its subdirectories."""
    rules = _rules(root, options)
    top = os.fspath(root)
    absolute = os.path.normpath(os.path.abspath(top))
    key_prefix = absolute if absolute.endswith("/") else absolute + "/"
    filters = _Filters(options)
    fingerprint = _fingerprint(options, rules)
    saved = memo.load(absolute, fingerprint) if memo and fingerprint else {}
    seen: dict[str, list] = {}  # this walk's listings, remembered for the next one
    base = rules.base_lists if rules else ()
    stack: list[tuple[str, tuple[IgnoreList, ...], bool, bool]] = [("", base, False, True)]
    while stack:
        rel_dir, lists, tracked_only, context_same = stack.pop()
        directory = os.path.join(top, rel_dir) if rel_dir else top
        old = saved.get(rel_dir) if context_same else None
        here = discovery_cache.stamp(directory)  # before listing: a later change is seen next time
        ignore_stamp = None
        if rules and not tracked_only and not (old and old[0] == here and old[1] is None):
            ignore_stamp = discovery_cache.stamp(os.path.join(directory, ".gitignore"))
        same_rules = old is not None and old[1:3] == [ignore_stamp, tracked_only]
        if rules and not tracked_only and ignore_stamp is not None:
            own = ignore_list(Path(directory, ".gitignore"), rules.prefix + rel_dir)
            if own is not None and own.patterns:
                lists = (*lists, own)
        if old is not None and same_rules and old[0] == here and old[3] is not None:
            seen[rel_dir] = old
            files, subdirs, ignored = old[3:]
        else:
            listed = _list(directory, rel_dir, lists, tracked_only, rules, filters, found)
            if listed is None:
                continue
            files, subdirs, ignored, reusable = listed
            if memo:
                seen[rel_dir] = [discovery_cache.trusted(here, memo.started_ns),
                                 discovery_cache.trusted(ignore_stamp, memo.started_ns),
                                 tracked_only, files if reusable else None, subdirs, ignored]
        shown = rel_dir if top == "." else directory  # as pathlib writes it: no "./"
        path_dir = shown if not shown or shown.endswith("/") else shown + "/"
        key_dir = f"{key_prefix}{rel_dir}/" if rel_dir else key_prefix
        for name in files:  # os.path.join's result, without its cost per file
            path = path_dir + name
            if found.add(path, key_dir + name):
                yield path
        found.ignored += ignored
        stack.extend((f"{rel_dir}/{name}" if rel_dir else name, lists, only, same_rules)
                     for name, only in reversed(subdirs))
    if memo and fingerprint and seen != saved:
        memo.save(absolute, fingerprint, seen)


def _list(directory: str, rel_dir: str, lists: tuple[IgnoreList, ...], tracked_only: bool,
          rules: _Rules | None, filters: _Filters, found: Discovery) -> tuple | None:
    """One directory's (files, subdirs, ignored count, whether a later walk may reuse
    them); what is reported goes into ``found``. None if it cannot be listed."""
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=_name)
    except OSError as exc:
        found.problems.append((Path(directory), exc.strerror or type(exc).__name__))
        return None
    files: list[str] = []
    subdirs: list[tuple[str, bool]] = []
    ignored = 0
    reusable = True
    for entry in entries:
        if entry.name in ALWAYS_SKIPPED_DIRS:
            continue
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            verdict = _classify(entry, rel, lists, tracked_only, rules, filters)
            plain = entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)
        except OSError as exc:  # a type the listing lacked, and lstat refused
            verdict, plain = exc.strerror or type(exc).__name__, False
        reusable = reusable and plain
        if verdict is _FILE:
            files.append(entry.name)
        elif verdict is _IGNORED:
            ignored += 1
        elif verdict is _DIR or verdict is _TRACKED_DIR:
            subdirs.append((entry.name, verdict is _TRACKED_DIR))
        elif verdict in _NOT_FILES:
            found.skipped.append((Path(entry.path), verdict))
        else:
            found.problems.append((Path(entry.path), verdict))
    return files, subdirs, ignored, reusable


def _fingerprint(options: WalkOptions, rules: _Rules | None) -> str:
    """Everything a directory's verdicts depend on besides its own listing and .gitignore;
    empty if it cannot be trusted (the git index changed moments ago)."""
    index = rules.index_stamp if rules else None
    if index is not None and time.time_ns() - index[0] <= discovery_cache.RACY_NS:
        return ""
    lists = [(found.base, [(p.source, p.negated, p.dir_only, p.basename)
                           for p in found.patterns])
             for found in (rules.base_lists if rules else ())]
    return json.dumps([VERDICTS_VERSION, options.hidden, options.gitignore, options.include,
                       options.exclude, rules.prefix if rules else None, index, lists])


def _name(entry: os.DirEntry) -> str:
    return entry.name


# Verdicts of _classify besides the reasons a path is reported.
_FILE, _DIR, _IGNORED = "file", "dir", "ignored"
_TRACKED_DIR = "tracked-dir"  # ignored, but git tracks files in it: only those are listed


class _Filters:
    """``--include``/``--exclude`` and hidden-file rules, each glob list one regex."""

    def __init__(self, options: WalkOptions) -> None:
        self.hidden = options.hidden
        self.include = _glob_matcher(options.include)
        self.exclude = _glob_matcher(options.exclude)

    def selected(self, rel: str, name: str) -> bool:
        if self.include and not (self.include(rel) or self.include(name)):
            return False
        return not (self.exclude and (self.exclude(rel) or self.exclude(name)))

    def excluded_dir(self, rel: str, name: str) -> bool:
        return bool(self.exclude and (self.exclude(rel + "/") or self.exclude(name)))


@lru_cache(maxsize=64)
def _glob_matcher(patterns: tuple[str, ...]):
    """One compiled alternation equal to ``any(fnmatch(s, p) for p in patterns)``."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(p) for p in patterns)).match


def _classify(entry: os.DirEntry, rel: str, lists: tuple[IgnoreList, ...], tracked_only: bool,
              rules: _Rules | None, filters: _Filters) -> str:
    """A verdict above, or the reason a path is reported. The entry's type comes from the
    directory listing itself (no stat per entry); only symlinks and special files are
    stat-ed, and only once the rules have kept them."""
    name = entry.name
    git_rel = rules.prefix + rel if rules else rel
    is_dir = entry.is_dir(follow_symlinks=False)
    if tracked_only:
        if is_dir:
            return _TRACKED_DIR if git_rel in rules.tracked_dirs else _IGNORED  # type: ignore[union-attr]
        if git_rel in rules.tracked and filters.selected(rel, name):  # type: ignore[union-attr]
            return _FILE if stat.S_ISREG(_target_mode(entry) or 0) else _IGNORED
        return _IGNORED
    if not filters.hidden and name.startswith("."):
        return _IGNORED
    if is_dir:
        if filters.excluded_dir(rel, name):
            return _IGNORED
        if rules and is_ignored(git_rel, True, lists):
            return _TRACKED_DIR if git_rel in rules.tracked_dirs else _IGNORED
        return _DIR
    if rules and git_rel not in rules.tracked and is_ignored(git_rel, False, lists):
        return _IGNORED
    if not filters.selected(rel, name):
        return _IGNORED
    if entry.is_file(follow_symlinks=False):
        return _FILE
    target = _target_mode(entry)
    if target is None:
        return "broken or looping symlink" if entry.is_symlink() else "no such file or directory"
    if stat.S_ISDIR(target):
        return DIR_SYMLINK
    if not stat.S_ISREG(target):
        return _NOT_REGULAR[_kind(target)]
    return _FILE


def _target_mode(entry: os.DirEntry) -> int | None:
    """The mode of what ``entry`` names, following a symlink; None if that is gone."""
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    try:
        return os.stat(entry.path).st_mode
    except OSError:
        return None
