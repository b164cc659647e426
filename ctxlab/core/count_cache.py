"""A persistent cache of token counts, so re-counting an unchanged tree costs little more
than walking it.

Counts are keyed by (counter identity, content digest): the tokenizer's name, library
version and source, plus the blake2b of the decoded text. A file whose (path, size,
mtime_ns, inode) equal what was recorded is taken to hold the same content without
being read, as git's index does; a stat that was recorded within two seconds of the
file's mtime is not trusted (git's "racily clean" rule), so an edit in the same
timestamp tick is never missed.

SQLite keeps it safe across processes (WAL, a busy timeout, one transaction per run).
A cache file that is corrupt or unreadable is set aside and rebuilt, and counting goes
on without it: a cache can cost a re-count, never a wrong count or a failed run. Rows
carry a last-used stamp; past ``MAX_CONTENTS`` the oldest are dropped.

A re-count of the same tree also finds the whole of the last such run in one row
(``runs``: every trusted path's stat and counts, in packed columns), so a warm run
makes one query and no per-file join; paths it does not hold are looked up in the
tables. A run is known by its tokenizers and its first file: the same command on
the same tree meets the same one first. The row is only rewritten when the run
differs from it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from array import array
from collections.abc import Iterator, Sequence, Sized
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ctxlab.core.textfile import EMPTY, OK

MAX_CONTENTS = 200_000  # distinct file contents kept (a few tens of MB of SQLite at most)
RACY_NS = 2_000_000_000
STAMP_USED_NS = 3600 * 10**9  # a hit's last-used stamp is refreshed at most hourly
SCHEMA_VERSION = 2  # 2 added ``runs``; a version 1 file gains it on first open
MAX_RUNS = 64  # runs remembered whole, the least recently used dropped first
_CACHEABLE = frozenset({OK, EMPTY})
_STATUSES = (OK, EMPTY)  # a run row stores a status as its index here
_CHUNK = 500  # SQLite's default limit on bound parameters is 999


class Stat(NamedTuple):  # a tuple: one is made and compared per file on every run
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: str) -> Stat | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device reads differently every time
            return None
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(slots=True)  # one per cached file per run: frozen's setattr costs add up
class CachedCount:
    status: str
    chars: int
    words: int
    bom: bool
    tokens: dict[str, int]  # tokenizer name -> count


def digest(text: str) -> bytes:
    import hashlib  # only a run that counts needs it, in its workers

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def default_path() -> Path:
    from ctxlab.core.assets import cache_dir

    return cache_dir() / "counts.sqlite3"


class CountCache:
    """Lookups and one batched write per run; every failure degrades to "not cached"."""

    def __init__(self, path: Path, counters: dict[str, str]) -> None:
        self.path = path
        self.counters = counters  # tokenizer name -> identity key
        self.warning = ""  # one line for the user when the cache had to be set aside
        self._now = time.time_ns()
        self._stale: set[bytes] = set()  # hits whose last-used stamp is old
        self._run: _RunIndex | None = None  # loaded at the first lookup
        self._kept: dict[str, tuple[Stat, CachedCount]] = {}  # this run's hits
        self._db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        for attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                _create(db)
                return db
            except sqlite3.DatabaseError as exc:  # corrupt, or not a database at all
                if attempt == 0:
                    self.warning = f"count cache {self.path} was unreadable ({exc}); rebuilt it"
                    self._set_aside()
            except OSError as exc:
                self.warning = f"count cache disabled: {exc.strerror or exc}"
                return None
        self.warning = f"count cache {self.path} is unusable; counting without it"
        return None

    def _set_aside(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{self.path}{suffix}.corrupt")

    def lookup(self, stats: dict[str, Stat]) -> dict[str, CachedCount]:
        """Paths whose stat matches a trusted record and whose counts are all cached."""
        if self._db is None or not stats:
            return {}
        if self._run is None:
            self._run = self._load_run(next(iter(stats)))
        found, rest = self._run.lookup(stats, self._kept)
        if rest:
            rows = self._look_up_rows(rest)
            found.update(rows)
            self._kept.update((path, (rest[path], cc)) for path, cc in rows.items())
        return found

    def _look_up_rows(self, stats: dict[str, Stat]) -> dict[str, CachedCount]:
        """``lookup`` in the tables, a join per chunk of paths."""
        assert self._db is not None
        wanted = {key: name for name, key in self.counters.items()}
        found: dict[str, tuple[bytes, CachedCount]] = {}
        try:
            for chunk in _chunks(list(stats)):
                rows = self._db.execute(
                    "SELECT f.path, f.size, f.mtime_ns, f.inode, f.digest, c.status, c.chars, "
                    "c.words, c.bom, c.used, t.counter, t.tokens FROM files f "
                    "JOIN content c ON c.digest = f.digest JOIN tokens t ON t.digest = f.digest "
                    f"WHERE f.path IN ({_marks(chunk)}) AND t.counter IN ({_marks(wanted)})",
                    [*chunk, *wanted])
                for path, size, mtime_ns, inode, dig, status, chars, words, bom, used, \
                        counter, count in rows:
                    if (size, mtime_ns, inode) != stats[path]:
                        continue
                    if path not in found:
                        found[path] = (dig, CachedCount(status, chars, words, bool(bom), {}))
                        if self._now - used > STAMP_USED_NS:
                            self._stale.add(dig)
                    found[path][1].tokens[wanted[counter]] = count
        except sqlite3.DatabaseError as exc:
            self._fail(exc)
            return {}
        hits = {path: hit for path, (_, hit) in found.items() if len(hit.tokens) == len(wanted)}
        if hits and self._run is not None:
            self._run.changed = True  # the run's row lacks these
        return hits

    def _load_run(self, first: str) -> _RunIndex:
        key = "\n".join([*self.counters.values(), first])
        row = None
        with suppress(sqlite3.DatabaseError):
            assert self._db is not None
            row = self._db.execute("SELECT paths, numbers, inodes, used FROM runs WHERE key = ?",
                                   (key,)).fetchone()
        run = _RunIndex.unpack(key, row, list(self.counters)) if row else None
        if row is None or run is None:
            return _RunIndex(key, list(self.counters))
        if self._now - row[3] > STAMP_USED_NS:
            run.changed = True  # rewritten, so that it is not dropped as unused
        return run

    def record(self, entries: Sequence[tuple[str, Stat | None, bytes, CachedCount]]) -> None:
        """Store new counts (path, stat before reading, digest, counts), the run as a whole if
        it changed, and stamp the hits not used for a while (so a warm run writes nothing)."""
        now = self._now
        kept = [entry for entry in entries if entry[3].status in _CACHEABLE]
        trusted = [(path, stat, dig, cc) for path, stat, dig, cc in kept
                   if stat is not None and now - stat.mtime_ns > RACY_NS]
        run = self._run
        changed = run is not None and (run.changed or bool(trusted)
                                       or len(self._kept) != len(run.index))
        if self._db is None or not (entries or self._stale or changed):
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO content VALUES (?, ?, ?, ?, ?, ?)",
                                 [(dig, cc.status, cc.chars, cc.words, int(cc.bom), now)
                                  for _, _, dig, cc in kept])
            self._db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                                 [(dig, self.counters[n], c) for _, _, dig, cc in kept
                                  for n, c in cc.tokens.items()])
            self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                                 [(path, stat.size, stat.mtime_ns, stat.inode, dig)
                                  for path, stat, dig, _ in trusted])
            for chunk in _chunks(list(self._stale)):
                self._db.execute(f"UPDATE content SET used = ? WHERE digest IN ({_marks(chunk)})",
                                 [now, *chunk])
            if changed:
                assert run is not None
                self._save_run(run.key, {**self._kept,
                                         **{path: (stat, cc) for path, stat, _, cc in trusted}})
            if entries:
                self._prune()
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._fail(exc)

    def _save_run(self, key: str, entries: dict[str, tuple[Stat, CachedCount]]) -> None:
        assert self._db is not None
        packed = _RunIndex.pack(entries, list(self.counters))
        if packed is None or len(entries) > MAX_CONTENTS:
            return
        self._db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                         (key, *packed, len(entries), self._now))
        # Keep the most recently used runs while they hold MAX_CONTENTS paths in all.
        self._db.execute("DELETE FROM runs WHERE key IN (SELECT key FROM (SELECT key, "
                         "SUM(size) OVER (ORDER BY used DESC, key) AS total, ROW_NUMBER() "
                         "OVER (ORDER BY used DESC, key) AS rank FROM runs) "
                         "WHERE total > ? OR rank > ?)", (MAX_CONTENTS, MAX_RUNS))

    def _prune(self) -> None:
        assert self._db is not None
        (n,) = self._db.execute("SELECT COUNT(*) FROM content").fetchone()
        if n <= MAX_CONTENTS:
            return
        self._db.execute("DELETE FROM content WHERE digest IN (SELECT digest FROM content "
                         "ORDER BY used LIMIT ?)", (n - MAX_CONTENTS,))
        self._db.execute("DELETE FROM tokens WHERE digest NOT IN (SELECT digest FROM content)")
        self._db.execute("DELETE FROM files WHERE digest NOT IN (SELECT digest FROM content)")

    def _fail(self, exc: Exception) -> None:
        self.warning = f"count cache {self.path} failed ({exc}); counting without it"
        with suppress(sqlite3.Error):
            assert self._db is not None
            self._db.close()
        self._db = None
        if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
            self._set_aside()

    def close(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()


def _create(db: sqlite3.Connection) -> None:
    with closing(db.execute("PRAGMA user_version")) as cur:
        version = cur.fetchone()[0]
    if version not in (0, 1, SCHEMA_VERSION):
        raise sqlite3.DatabaseError(f"schema version {version}")
    db.execute("PRAGMA synchronous=NORMAL")
    if version == SCHEMA_VERSION:
        return  # made before: opening it must not write (a warm run writes nothing)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(f"""
        CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER,
            mtime_ns INTEGER, inode INTEGER, digest BLOB);
        CREATE TABLE IF NOT EXISTS content (digest BLOB PRIMARY KEY, status TEXT,
            chars INTEGER, words INTEGER, bom INTEGER, used INTEGER);
        CREATE TABLE IF NOT EXISTS tokens (digest BLOB, counter TEXT, tokens INTEGER,
            PRIMARY KEY (digest, counter));
        CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, paths BLOB, numbers BLOB,
            inodes BLOB, size INTEGER, used INTEGER);
        PRAGMA user_version = {SCHEMA_VERSION};
    """)


class _RunIndex:
    """One run's trusted paths with their stat and counts, as packed in its row: the paths
    NUL-separated, each path's numbers in one array, the inodes (unsigned) in another.
    Records are only built for the paths looked up."""

    def __init__(self, key: str, names: list[str], paths: Sequence[str] = (),
                 numbers: Sequence[int] = (), inodes: Sequence[int] = ()) -> None:
        self.key = key
        self.names = names
        self.width = 6 + len(names)  # size, mtime_ns, status, chars, words, bom, tokens...
        self.index = dict(zip(paths, range(0, len(numbers), self.width), strict=True))
        self.numbers = numbers
        self.inodes = inodes
        self.changed = not paths  # differs from the row it came from (or there is none)

    def lookup(self, stats: dict[str, Stat], kept: dict[str, tuple[Stat, CachedCount]]
               ) -> tuple[dict[str, CachedCount], dict[str, Stat]]:
        """(hits, the paths this run does not hold with that stat); hits go into ``kept``."""
        found, rest = {}, {}
        index, v, inodes, names, width = (self.index, self.numbers, self.inodes, self.names,
                                          self.width)
        for path, st in stats.items():
            at = index.get(path)
            if at is not None and (v[at], v[at + 1], inodes[at // width]) == st:
                cc = found[path] = CachedCount(_STATUSES[v[at + 2]], v[at + 3], v[at + 4],
                                               bool(v[at + 5]),
                                               dict(zip(names, v[at + 6:at + width], strict=True)))
                kept[path] = (st, cc)
            else:
                rest[path] = st
        return found, rest

    @staticmethod
    def pack(entries: dict[str, tuple[Stat, CachedCount]], names: list[str]
             ) -> tuple[bytes, bytes, bytes] | None:
        numbers = array("q")
        inodes = array("Q")
        for st, cc in entries.values():
            numbers.extend((st.size, st.mtime_ns, _STATUSES.index(cc.status), cc.chars,
                            cc.words, cc.bom, *(cc.tokens[name] for name in names)))
            inodes.append(st.inode)
        try:
            paths = "\0".join(entries).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # not a name the file system gave us
            return None
        return paths, numbers.tobytes(), inodes.tobytes()

    @classmethod
    def unpack(cls, key: str, row: tuple, names: list[str]) -> _RunIndex | None:
        """The run in ``row``, or None if the row is not what ``pack`` wrote."""
        try:
            paths = row[0].decode("utf-8", "surrogateescape").split("\0")
            numbers, inodes = array("q"), array("Q")
            numbers.frombytes(row[1])
            inodes.frombytes(row[2])
        except (AttributeError, TypeError, ValueError):
            return None
        width = 6 + len(names)
        if (len(numbers) != width * len(paths) or len(inodes) != len(paths)
                or not set(numbers[2::width]) <= set(range(len(_STATUSES)))):
            return None
        run = cls(key, names, paths, numbers.tolist(), inodes.tolist())
        return run if len(run.index) == len(paths) else None


def counter_identity(name: str, library: str, source: str, allow_special: bool) -> str:
    """What a count depends on besides the text; a tokenizer file adds its own stat."""
    key = f"{name}|{library}|{source}|special={int(allow_special)}"
    stat = Stat.of(source) if source and os.path.isfile(source) else None
    return f"{key}|{stat.size}:{stat.mtime_ns}" if stat else key


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _marks(chunk: Sized) -> str:
    return ",".join("?" * len(chunk))
