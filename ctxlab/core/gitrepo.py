"""What git itself knows about a work tree, read from its files (git is never run).

Running ``git`` inside a tree someone handed us could execute their hooks or
``core.fsmonitor``; reading three small files cannot. We need: where the work
tree's top is, the exclude files below ``.gitignore`` in priority
(``.git/info/exclude`` and ``core.excludesFile``), and the paths git tracks
(``.git/index``), because git lists a tracked file even when it matches ``.gitignore``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ctxlab.core.gitignore import IgnoreList, parse_lines

MAX_INDEX_BYTES = 256 << 20  # a repository with millions of files has an index below this
MAX_IGNORE_FILE_BYTES = 4 << 20


@dataclass(frozen=True)
class Repo:
    top: Path  # the work tree's top directory, absolute and normalised
    git_dir: Path
    excludes: tuple[IgnoreList, ...]  # lowest priority first: core.excludesFile, info/exclude

    @cached_property
    def tracked(self) -> frozenset[str]:
        """The tracked paths ("a/b.txt", relative to ``top``), read from the index when first
        asked for: a re-walk that lists no directory never needs them."""
        return _tracked(self.git_dir)

    @cached_property
    def tracked_dirs(self) -> frozenset[str]:
        """Every directory holding a tracked file ("" is the top)."""
        dirs = {""}
        for path in self.tracked:
            parts = path.split("/")[:-1]
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        return frozenset(dirs)


def find_repo(directory: Path) -> Repo | None:
    """The git work tree containing ``directory`` (absolute, normalised), if any."""
    for candidate in (directory, *directory.parents):
        dot_git = candidate / ".git"
        git_dir = _git_dir(dot_git)
        if git_dir is not None:
            return Repo(candidate, git_dir, _excludes(git_dir))
    return None


def _git_dir(dot_git: Path) -> Path | None:
    """``.git`` is a directory, or (worktrees, submodules) a file saying ``gitdir: PATH``."""
    if dot_git.is_dir():
        return dot_git if (dot_git / "HEAD").exists() else None
    try:
        first = read_small(dot_git, 4096).splitlines()[0]
    except (OSError, IndexError):
        return None
    if not first.startswith("gitdir:"):
        return None
    target = Path(first[len("gitdir:"):].strip())
    return (dot_git.parent / target) if not target.is_absolute() else target


def read_small(path: Path, limit: int) -> str:
    """A small text file (config, ignore lists), at most ``limit`` bytes, never blocking."""
    from ctxlab.core.textfile import read_limited

    if not path.is_file():
        raise FileNotFoundError(path)
    return read_limited(path, limit)[:limit].decode("utf-8", errors="surrogateescape")


def ignore_list(path: Path, base: str) -> IgnoreList | None:
    """The patterns of one ignore file, or None if it cannot be read."""
    try:
        text = read_small(path, MAX_IGNORE_FILE_BYTES)
    except OSError:
        return None
    return IgnoreList(base, tuple(parse_lines(text.split("\n"))))


def _excludes(git_dir: Path) -> tuple[IgnoreList, ...]:
    lists = [ignore_list(path, "") for path in (_excludes_file(git_dir),
                                                git_dir / "info" / "exclude") if path]
    return tuple(found for found in lists if found is not None)


def _excludes_file(git_dir: Path) -> Path | None:
    """``core.excludesFile`` from the repo, user or XDG config; git's default otherwise."""
    home = Path(os.environ.get("HOME", "~")).expanduser()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    value = None
    for config in (xdg / "git" / "config", home / ".gitconfig", git_dir / "config"):
        value = _config_value(config, "core", "excludesfile") or value  # later files win
    if value is None:
        return xdg / "git" / "ignore"
    return Path(os.path.expanduser(value)) if value.startswith("~") else Path(value)


def _config_value(path: Path, section: str, key: str) -> str | None:
    """The last ``key`` in ``[section]`` of a git config file (the subset git users write)."""
    try:
        text = read_small(path, MAX_IGNORE_FILE_BYTES)
    except OSError:
        return None
    found, current = None, ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            current = line[1:line.find("]")].strip().split(" ")[0].lower()
            continue
        if current != section or "=" not in line or line.startswith(("#", ";")):
            continue
        name, value = line.split("=", 1)
        if name.strip().lower() == key:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found = value
    return found


def _tracked(git_dir: Path) -> frozenset[str]:
    """The paths in ``.git/index`` (versions 2, 3, 4); empty if it is missing or malformed."""
    index = git_dir / "index"
    try:
        from ctxlab.core.textfile import read_limited

        data = read_limited(index, MAX_INDEX_BYTES) if index.is_file() else b""
    except OSError:
        return frozenset()
    try:
        return frozenset(_index_paths(data, _hash_size(git_dir)))
    except (struct.error, ValueError, IndexError):
        return frozenset()  # a corrupt index: git would refuse too; count as untracked


def _hash_size(git_dir: Path) -> int:
    fmt = _config_value(git_dir / "config", "extensions", "objectformat")
    return 32 if (fmt or "").lower() == "sha256" else 20


def _index_paths(data: bytes, hash_size: int) -> list[str]:
    if len(data) < 12 or data[:4] != b"DIRC":
        return []
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4) or count * 40 > len(data):
        return []
    paths: list[str] = []
    pos, previous = 12, b""
    fixed = 40 + hash_size + 2  # stat fields, object id, flags
    for _ in range(count):
        start = pos
        mode = struct.unpack_from(">I", data, pos + 24)[0]
        flags = struct.unpack_from(">H", data, pos + 40 + hash_size)[0]
        pos += fixed
        if version >= 3 and flags & 0x4000:
            pos += 2  # extended flags
        if version == 4:
            strip, pos = _varint(data, pos)
            end = data.index(b"\0", pos)
            if strip > len(previous):
                raise ValueError("bad prefix")
            name = previous[:len(previous) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.index(b"\0", pos)
            name = data[pos:end]
            pos = start + ((end - start) // 8 + 1) * 8  # NUL padding to a multiple of 8
        previous = name
        if mode >> 12 in (0o10, 0o12):  # regular files and symlinks; not gitlinks or sparse dirs
            paths.append(name.decode("utf-8", errors="surrogateescape"))
    return paths


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset varint (varint.c): 7 bits a byte, each continuation adds one."""
    byte = data[pos]
    value = byte & 0x7F
    pos += 1
    while byte & 0x80:
        byte = data[pos]
        value = ((value + 1) << 7) | (byte & 0x7F)
        pos += 1
    return value, pos
