"""What earlier walks saw in each directory, so re-walking an unchanged tree lists nothing.

git's untracked cache, for ``discovery``: for every directory a walk lists, the
directory's own stat (mtime, ctime, inode), its ``.gitignore``'s stat, and the
verdicts (files to count, subdirectories to enter, how many entries were
ignored). A later walk with the same root, options and ignore rules stats each
directory and reuses its verdicts while that stat and its ``.gitignore`` are
unchanged: a file added, removed or renamed changes the directory's mtime; an
ignore file edited in place changes its own stat, and then every directory under
it is listed again. Directories holding symlinks or special files are always
listed again (what a symlink points to can change without its directory
changing), and a directory or ignore file changed within two seconds of the
walk is not trusted (git's "racily clean" rule).

The listings live beside the count cache in the same SQLite file; any failure
only means a full walk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import suppress
from pathlib import Path

RACY_NS = 2_000_000_000
MAX_WALKS = 64  # roots (with their options) remembered; the least recently used go first
STAMP_USED_NS = 3600 * 10**9  # a reused listing's last-used time is refreshed at most hourly
Stamp = list[int]  # [mtime_ns, ctime_ns, inode] of a directory or an ignore file
UNTRUSTED: Stamp = [-1, -1, -1]  # recorded for a path changed too recently to trust


def stamp(path: str) -> Stamp | None:
    """The stat a listing is keyed by, or None if ``path`` is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def trusted(found: Stamp | None, now_ns: int) -> Stamp | None:
    """``found`` as it may be recorded: UNTRUSTED if it changed in the last RACY_NS."""
    if found is not None and now_ns - found[0] <= RACY_NS:
        return UNTRUSTED
    return found


class WalkMemo:
    """Listings per (root, options, rules); every failure degrades to "not remembered"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started_ns = time.time_ns()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db: sqlite3.Connection | None = sqlite3.connect(path, timeout=10,
                                                                  isolation_level=None)
            self._db.execute("CREATE TABLE IF NOT EXISTS walks (root TEXT PRIMARY KEY, "
                             "rules TEXT, listings TEXT, used INTEGER)")
        except (sqlite3.Error, OSError):
            self._db = None

    def load(self, root: str, rules: str) -> dict[str, list]:
        """rel_dir -> [dir stamp, .gitignore stamp, tracked_only, files, subdirs, ignored]."""
        if self._db is None:
            return {}
        try:
            row = self._db.execute("SELECT rules, listings, used FROM walks WHERE root = ?",
                                   (root,)).fetchone()
            if row is None or row[0] != rules:
                return {}
            listings = json.loads(row[1])
            if self.started_ns - row[2] > STAMP_USED_NS:  # keep it from looking unused
                self._db.execute("UPDATE walks SET used = ? WHERE root = ?",
                                 (self.started_ns, root))
        except (sqlite3.Error, ValueError):
            return {}
        return listings if isinstance(listings, dict) else {}

    def save(self, root: str, rules: str, listings: dict[str, list]) -> None:
        if self._db is None:
            return
        with suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO walks VALUES (?, ?, ?, ?)",
                             (root, rules, json.dumps(listings, separators=(",", ":")),
                              self.started_ns))
            self._db.execute("DELETE FROM walks WHERE root NOT IN (SELECT root FROM walks "
                             "ORDER BY used DESC LIMIT ?)", (MAX_WALKS,))

    def close(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()
