"""git's ignore rules, exactly: ``.gitignore`` syntax, wildmatch, and which list wins.

Written from git's documentation (gitignore(5)) and checked against ``git
ls-files`` by a property test. The parts that generic gitignore libraries get
wrong and git users rely on:

- a pattern without a slash (``*.log``, ``build/``) matches a name at any depth; one
  with a slash inside (``doc/*.txt``, ``/TODO``) is anchored to its file's directory;
- ``*`` and ``?`` never match ``/``; ``**`` does only as ``**/``, ``/**/`` or ``/**``;
- a trailing ``/`` matches directories only, so the whitelist ``*`` / ``!*/`` /
  ``!*.py`` keeps descending and keeps ``in/c.py``;
- within one file the last matching line decides; a deeper ``.gitignore`` beats a
  shallower one, which beats ``.git/info/exclude``, which beats ``core.excludesFile``;
- nothing inside an excluded directory can be re-included (git does not look inside).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v", "upper": "A-Z", "xdigit": "0-9A-Fa-f",
}


class Pattern(NamedTuple):  # a frozen dataclass costs ~1 ms to define, at every start
    source: str  # the regex; compiled on first use, so a re-walk that lists nothing never does
    negated: bool
    dir_only: bool
    basename: bool  # no slash in the pattern: matched against the last path component

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.source)


@lru_cache(maxsize=None)
def _compiled(source: str) -> re.Pattern[str]:
    try:
        return re.compile(source, re.DOTALL)
    except re.error:
        return re.compile("(?!)")  # as git treats a malformed class: it matches nothing


def parse_lines(lines: Sequence[str]) -> list[Pattern]:
    """The patterns of one ignore file, in order (comments and blank lines dropped)."""
    patterns = []
    for number, line in enumerate(lines):
        if number == 0 and line.startswith("\ufeff"):
            line = line[1:]  # git skips a UTF-8 BOM
        pattern = _parse(line)
        if pattern is not None:
            patterns.append(pattern)
    return patterns


def _parse(line: str) -> Pattern | None:
    line = _strip_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\"):
        pass  # "\#" and "\!" are kept escaped; wildmatch reads the escape
    dir_only = line.endswith("/") and not line.endswith("\\/")
    if dir_only:
        line = line.rstrip("/")
    if not line:
        return None
    basename = "/" not in line
    if line.startswith("/"):
        line = line[1:]
    try:
        source = wildmatch_regex(line)
    except re.error:
        return None  # git treats a malformed class as matching nothing
    return Pattern(source, negated, dir_only, basename)


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces go unless escaped with a backslash (gitignore(5))."""
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = len(line[:end - 1]) - len(line[:end - 1].rstrip("\\"))
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


def wildmatch_regex(pattern: str) -> str:
    """git's wildmatch with ``WM_PATHNAME`` as an anchored Python regex."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            at_start = i == 0 or pattern[i - 1] == "/"
            at_end = j == n or pattern[j] == "/"
            if j - i >= 2 and at_start and at_end:
                if j == n:
                    out.append(".*")  # "x/**": everything inside
                else:
                    out.append("(?:.*/)?")  # "**/": zero or more directories
                    j += 1
            else:
                out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _char_class(pattern, i)
            out.append(cls)
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out) + r"\Z"


def _char_class(pattern: str, start: int) -> tuple[str, int]:
    """``[...]`` at ``start``: a regex class, or a literal ``[`` if it never closes."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    parts: list[str] = []
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            body = "".join(parts)
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]"), i + 1
        first = False
        if c == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            name = pattern[i + 2:end] if end != -1 else ""
            if name in _POSIX_CLASSES:
                parts.append(_POSIX_CLASSES[name])
                i = end + 2
                continue
        if c == "\\" and i + 1 < len(pattern):
            c = pattern[i + 1]
            i += 1
        if i + 2 < len(pattern) and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            high = pattern[i + 2]
            if high == "\\" and i + 3 < len(pattern):
                high = pattern[i + 3]
                i += 1
            if ord(high) < ord(c):
                raise re.error("reversed range")
            parts.append(f"{re.escape(c)}-{re.escape(high)}")
            i += 3
            continue
        parts.append(re.escape(c))
        i += 1
    return re.escape("["), start + 1  # unclosed: git matches it literally


@dataclass(frozen=True)
class IgnoreList:
    """One ignore file's patterns and the directory (relative to the walk root) they apply in."""

    base: str  # "" for the top, else "a/b" with forward slashes
    patterns: tuple[Pattern, ...]

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None no opinion; ``rel`` is from the top."""
        if self.base:
            if not rel.startswith(self.base + "/"):
                return None
            rel = rel[len(self.base) + 1:]
        name = rel.rsplit("/", 1)[-1]
        if not self._may_match[is_dir](name, rel):
            return None
        for pattern in reversed(self.patterns):
            if pattern.dir_only and not is_dir:
                continue
            if pattern.regex.match(name if pattern.basename else rel):
                return not pattern.negated
        return None

    @cached_property
    def _may_match(self) -> tuple:
        """(for files, for directories): does any pattern match at all? One regex per kind
        of pattern answers that for the many paths no line mentions; only a hit walks the
        lines to find the last one that matches."""
        return (_any_matcher([p for p in self.patterns if not p.dir_only]),
                _any_matcher(list(self.patterns)))


def _any_matcher(patterns: list[Pattern]):
    """``(name, rel) -> bool``: whether one of ``patterns`` matches."""
    names = _alternation([p for p in patterns if p.basename])
    paths = _alternation([p for p in patterns if not p.basename])
    return lambda name, rel: bool(names(name) or paths(rel))


def _alternation(patterns: list[Pattern]):
    if not patterns:
        return lambda _: None
    return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.DOTALL).match


def is_ignored(rel: str, is_dir: bool, lists: Sequence[IgnoreList]) -> bool:
    """git's verdict for ``rel`` given ``lists`` ordered lowest priority first.

    The caller walks top-down and never looks inside an ignored directory, which is
    how git applies "a parent directory is excluded" (the README of gitignore(5)).
    """
    for ignore in reversed(lists):
        verdict = ignore.decide(rel, is_dir)
        if verdict is not None:
            return verdict
    return False
