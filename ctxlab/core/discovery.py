"""Find the files a count should read, honouring ``.gitignore`` the way git does.

Each directory's ``.gitignore`` applies to paths below it, and the deepest file
that has an opinion about a path wins (so a nested ``!keep.log`` re-includes
what a parent ignored). Ignored directories are pruned, not descended into.
Directory symlinks are never followed, so a symlink loop cannot hang a walk.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

ALWAYS_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class WalkOptions:
    hidden: bool = False  # include dot-files and dot-directories
    gitignore: bool = True
    include: tuple[str, ...] = ()  # glob patterns on the relative path or file name
    exclude: tuple[str, ...] = ()


@dataclass
class Discovery:
    """What a walk found: files to read, and what it refused to descend into."""

    files: list[Path] = field(default_factory=list)
    ignored: int = 0  # excluded by .gitignore, --exclude or hidden rules
    problems: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)


def discover(paths: list[Path], options: WalkOptions) -> Discovery:
    """Expand files and directories into the files to count, in a stable order."""
    found = Discovery()
    for path in paths:
        if path.is_dir():
            _walk(path, options, found)
        elif path.is_file():
            found.files.append(path)  # an explicitly named file is always read
        elif path.is_symlink():
            found.problems.append((path, "broken or looping symlink"))
        else:
            found.problems.append((path, "no such file or directory"))
    return found


def _walk(root: Path, options: WalkOptions, found: Discovery) -> None:
    """Depth-first, sorted; plain strings and ``os.scandir`` keep big trees fast."""
    top = os.fspath(root)
    base_specs = tuple(
        (os.fspath(b), s) for b, s in (_ancestor_specs(root) if options.gitignore else [])
    )
    stack: list[tuple[str, tuple]] = [("", base_specs)]
    while stack:
        rel_dir, inherited = stack.pop()
        directory = os.path.join(top, rel_dir) if rel_dir else top
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append((Path(directory), exc.strerror or type(exc).__name__))
            continue
        active = inherited
        if options.gitignore:
            own = _load_spec(Path(directory))
            if own is not None:
                active = (*inherited, (os.path.abspath(directory), own))
        subdirs = []
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and name in ALWAYS_SKIPPED_DIRS:
                continue
            if is_dir:
                if (_hidden(name, options) or _ignored(entry.path, True, active)
                        or _excluded(rel + "/", name, options)):
                    found.ignored += 1
                else:
                    subdirs.append(rel)
            elif entry.is_symlink() and os.path.isdir(entry.path):
                continue  # never follow directory symlinks: no loops, no double counts
            elif (_hidden(name, options) or _ignored(entry.path, False, active)
                  or not _selected(rel, name, options)):
                found.ignored += 1
            elif entry.is_symlink() and not os.path.exists(entry.path):
                found.problems.append((Path(entry.path), "broken or looping symlink"))
            else:
                found.files.append(Path(entry.path))
        stack.extend((sub, active) for sub in reversed(subdirs))


def _ancestor_specs(root: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """``.gitignore`` files above ``root`` up to the repository top, if inside a repo."""
    root = root.absolute()
    chain = [root, *root.parents]
    top = next((d for d in chain if (d / ".git").exists()), None)
    if top is None:
        return []
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for directory in reversed(chain[1 : chain.index(top) + 1]):
        spec = _load_spec(directory)
        if spec is not None:
            specs.append((directory, spec))
    # A directory the user named explicitly is counted even if the repo ignores it
    # (as `rg` does); only rules about what lies inside it still apply.
    inside = chain[: chain.index(top)]
    if any(_ignored(d, True, [s for s in specs if s[0] in d.parents]) for d in inside):
        return []
    return specs


def _load_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = (directory / ".gitignore").read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(path: str | Path, is_dir: bool, specs) -> bool:
    """Deepest spec with a matching pattern decides, as git does."""
    absolute = os.path.abspath(path)
    for base, spec in reversed(specs):
        base = os.fspath(base)
        if not absolute.startswith(base + os.sep):
            continue
        rel = absolute[len(base) + 1 :].replace(os.sep, "/")
        result = spec.check_file(rel + "/" if is_dir else rel)
        if result.include is not None:
            return result.include
    return False


def _hidden(name: str, options: WalkOptions) -> bool:
    return not options.hidden and name.startswith(".")


def _matches(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _excluded(rel: str, name: str, options: WalkOptions) -> bool:
    return _matches(rel, name, options.exclude)


def _selected(rel: str, name: str, options: WalkOptions) -> bool:
    if options.include and not _matches(rel, name, options.include):
        return False
    return not _excluded(rel, name, options)
