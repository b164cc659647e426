"""Count tokens for many files with several tokenizers, on every core.

Files are handed out in chunks of about ``CHUNK_BYTES`` while the directory walk
is still finding files. When every tokenizer encodes a batch on all cores by
itself without the GIL (the fast engine), one process does it all: this thread
walks and reads while two encoder threads count words and tokens, so the
vocabulary loads once, and there is no fork and no copying of results. A fast
tokenizer finishes what waits on a slow first load (splintr's, for the few
segments its C counter hands back) on a thread of its own. Other
tokenizers hold the GIL, so their chunks go to worker processes, forked after the
parent has loaded (and validated) the tokenizers so they start with them in
memory; each result is a small record and the text never travels back.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ctxlab.core.count_cache import CachedCount, CountCache, Stat, counter_identity, digest
from ctxlab.core.textfile import EMPTY, MAX_TEXT_BYTES, OK, TextFile, read_text_file
from ctxlab.core.tokenizers.base import BatchCounter, Tokenizer
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, get_counter
from ctxlab.core.words import count_words_batch

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

PARALLEL_MIN_BYTES = 4 << 20  # below this, process start-up costs more than it saves
MAX_JOBS_PER_CPU = 4
CHUNK_BYTES = 1 << 20  # one task for a worker: ~20 ms of work, far above its overhead
ENCODING_AHEAD = 8  # chunks read and waiting for the encoder threads, at most
ENCODER_THREADS = 2
LOOKUP_BATCH = 256  # files stat-ed and looked up in the count cache at once
ProgressFn = Callable[[int, int], None]  # (bytes done, bytes found so far: grows during a walk)


@dataclass(frozen=True)
class CountOptions:
    tokenizers: tuple[str, ...]
    allow_special: bool = False  # parse "<|endoftext|>" etc. as special tokens
    replace_invalid: bool = False  # count non-UTF-8 files with U+FFFD instead of skipping
    max_bytes: int = MAX_TEXT_BYTES
    jobs: int = 0  # 0 = one per CPU
    engine: str = DEFAULT_ENGINE  # "fast" (exact, where a fast library exists) or "tiktoken"
    cache_path: str | None = None  # a count cache (count_cache.py) to use; None: count everything


@dataclass(slots=True)  # not frozen: one per file, and frozen makes construction 6x dearer
class FileCount:
    path: str
    status: str
    size: int = 0
    chars: int = 0
    words: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    bom: bool = False
    detail: str = ""

    @property
    def counted(self) -> bool:
        return bool(self.tokens) or self.status == "empty"


def count_text_file(tf: TextFile, options: CountOptions) -> FileCount:
    """Count one already-read file with every tokenizer in ``options``."""
    return _count_text_files([tf], options)[0]


def _count_text_files(files: Sequence[TextFile], options: CountOptions) -> list[FileCount]:
    """Count many read files, one batch per tokenizer (HF tokenizers release the GIL there)."""
    return _file_counts(files, _text_counts(_texts(files), options))


def _texts(files: Sequence[TextFile]) -> list[str]:
    return [tf.text for tf in files if tf.counted]


TextCounts = tuple[list[int], dict[str, list[int]]]  # words, and each tokenizer's tokens


def _text_counts(texts: list[str], options: CountOptions) -> TextCounts:
    """The words of ``texts`` and each tokenizer's counts of them. No texts (a re-count whose
    only new files are not UTF-8) loads no vocabulary."""
    if not texts:
        return [], {name: [] for name in options.tokenizers}
    return count_words_batch(texts), {
        name: _count_texts(get_counter(name, options.engine), texts, options)
        for name in options.tokenizers}


def _file_counts(files: Sequence[TextFile], text_counts: TextCounts) -> list[FileCount]:
    """The records of ``files``, given the counts of their texts."""
    words, per_tokenizer = text_counts
    per_name = {name: iter(counts) for name, counts in per_tokenizer.items()}
    next_words = iter(words)
    counts = []
    for tf in files:
        if not tf.counted:
            counts.append(FileCount(tf.path, tf.status, tf.size, detail=tf.detail))
            continue
        tokens = {name: next(it) for name, it in per_name.items()}
        counts.append(FileCount(tf.path, tf.status, tf.size, len(tf.text), next(next_words),
                                tokens, tf.bom, tf.detail))
    return counts


def _counts_soon(texts: list[str], options: CountOptions
                 ) -> tuple[list[int], dict[str, Future[list[int]]]]:
    """``_text_counts`` on an encoder thread: each tokenizer's counts as a future, which
    it finishes on a thread of its own where part of a batch waits on a slow first load."""
    return count_words_batch(texts), {
        name: cast(BatchCounter, get_counter(name, options.engine)).count_batch_soon(texts)
        for name in options.tokenizers}


def _count_texts(counter: Tokenizer, texts: list[str], options: CountOptions) -> list[int]:
    if options.allow_special:
        return [counter.count(t, allow_special=True) for t in texts]
    return counter.count_batch(texts)


Counted = tuple[FileCount, bytes | None]  # the count, and the content digest when caching


def _count_chunk(paths: list[str], options: CountOptions) -> list[Counted]:
    return count_read_files(_read(paths, options), options)


def _read(paths: list[str], options: CountOptions) -> list[TextFile]:
    return [read_text_file(p, replace_invalid=options.replace_invalid,
                           max_bytes=options.max_bytes) for p in paths]


def count_read_files(files: Sequence[TextFile], options: CountOptions) -> list[Counted]:
    """Counts (and, when caching, content digests) of files already read, wherever they
    were read: a local worker, or a Ray actor."""
    return _with_digests(files, _count_text_files(files, options), options)


def _with_digests(files: Sequence[TextFile], counts: list[FileCount], options: CountOptions
                  ) -> list[Counted]:
    if options.cache_path is None:
        return [(fc, None) for fc in counts]
    return [(fc, digest(tf.text) if tf.status in (OK, EMPTY) else None)
            for fc, tf in zip(counts, files, strict=True)]


RemoteCount = Callable[[list[str], CountOptions], list[Counted]]  # e.g. ray_count.file_counter()


def count_files(paths: Iterable[Path | str], options: CountOptions,
                progress: ProgressFn | None = None,
                notify: Callable[[str], None] | None = None,
                remote: RemoteCount | None = None) -> list[FileCount]:
    """Counts for ``paths`` in their order; runs in parallel when it pays off.

    ``paths`` may be a walk still under way (``discovery.walk``): files are looked up
    and handed to workers as they arrive, so counting overlaps the walk. With
    ``options.cache_path``, unchanged files come from the count cache and new counts go
    into it; ``notify`` hears one line if the cache had to be set aside. ``remote``
    counts every uncached file at the end instead of the local workers (Ray).
    """
    counters = {name: get_counter(name, options.engine)  # unknown names fail before any work
                for name in options.tokenizers}
    cache = _open_cache(options, counters)
    run = _Pipeline(options, cache, progress, remote)
    try:
        for path in paths:
            run.add(str(path))
        run.finish()
    except BaseException:  # Ctrl-C, or a failure: no worker may outlive this call
        run.abort()
        raise
    finally:
        run.close()
    if cache:
        cache.record([(path, run.stats[path], dig, CachedCount(fc.status, fc.chars, fc.words,
                                                               fc.bom, fc.tokens))
                      for path, (fc, dig) in run.fresh.items()
                      if dig is not None and run.stats[path] is not None])
        cache.close()
        if cache.warning and notify:
            notify(cache.warning)
    return [run.results[path] for path in run.stats]


def _open_cache(options: CountOptions, counters: dict[str, Tokenizer]) -> CountCache | None:
    if options.cache_path is None:
        return None
    return CountCache(Path(options.cache_path), {
        name: counter_identity(name, c.info.library, c.info.source, options.allow_special)
        for name, c in counters.items()})


class _Pipeline:
    """stat -> cache lookup -> count, in batches as paths arrive.

    Tokenizers with ``parallel_batches`` get two encoder threads: chunks of
    ``CHUNK_BYTES`` are read here and counted there, at most ``ENCODING_AHEAD``
    waiting, and each chunk's records and digests are made here, in order, while
    later ones are counted. Otherwise a worker pool starts once ``PARALLEL_MIN_BYTES`` of uncached
    text is waiting (a warm or small run never forks) and is then fed ``CHUNK_BYTES``
    at a time; the last files are split evenly over the workers so none idles at the end.
    """

    def __init__(self, options: CountOptions, cache: CountCache | None,
                 progress: ProgressFn | None, remote: RemoteCount | None = None) -> None:
        self.options = options
        self.cache = cache
        self.progress = progress
        self.remote = remote
        self.jobs = worker_count(options.jobs, MAX_JOBS_PER_CPU * (os.cpu_count() or 1))
        self.in_process = self.jobs > 1 and remote is None and not options.allow_special and all(
            get_counter(name, options.engine).parallel_batches for name in options.tokenizers)
        self.stats: dict[str, Stat | None] = {}  # every path, in order
        self.results: dict[str, FileCount] = {}
        self.fresh: dict[str, Counted] = {}  # counted this run (a subset of results)
        self._unlooked: list[str] = []
        self._todo: list[tuple[str, int]] = []  # (path, size) to count
        self._todo_bytes = 0
        self._found_bytes = 0
        self._done_bytes = 0
        self._pool: Executor | None = None  # worker processes, or the encoder threads
        self._running: dict[Future, int] = {}  # future -> bytes in it
        self._encoding: deque[tuple[list[TextFile], Future, int]] = deque()  # oldest first

    def add(self, path: str) -> None:
        if path in self.stats:
            return
        stat = Stat.of(path)
        self.stats[path] = stat
        self._found_bytes += stat.size if stat else 0
        self._unlooked.append(path)
        if len(self._unlooked) >= LOOKUP_BATCH:
            self._look_up()
            self._dispatch(final=False)

    def finish(self) -> None:
        self._look_up()
        self._dispatch(final=True)
        self._collect(wait=True)
        self._collect_encoded(wait=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Stop at once: a worker in a native encode of a big file hears SIGINT only when the
        call returns (a minute, for an HF tokenizer on 50 MB), so worker processes are
        terminated, not waited for. Threads cannot be; they finish their chunk."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        workers = list((getattr(pool, "_processes", None) or {}).values())  # none for threads
        for process in workers:
            process.terminate()
        pool.shutdown(wait=bool(workers), cancel_futures=True)

    def _look_up(self) -> None:
        present: dict[str, Stat] = {}
        for path in self._unlooked:
            stat = self.stats[path]
            if stat is not None:
                present[path] = stat
        hits = self.cache.lookup(present) if self.cache and present else {}
        for path in self._unlooked:
            size = present[path].size if path in present else 0
            if path in hits:
                cc = hits[path]
                self.results[path] = FileCount(path, cc.status, size, cc.chars, cc.words,
                                               cc.tokens, cc.bom)
                self._done_bytes += size
            else:
                self._todo.append((path, size))
                self._todo_bytes += size
        self._unlooked = []
        self._report()

    def _dispatch(self, final: bool) -> None:
        if self.remote is not None:
            if final and self._todo:
                self._done(self.remote([p for p, _ in self._todo], self.options),
                           self._todo_bytes)
                self._todo, self._todo_bytes = [], 0
            return
        if self.in_process:
            self._encode_here(final)
            return
        if self._pool is None and self.jobs > 1 and self._todo_bytes >= PARALLEL_MIN_BYTES:
            self._start_pool()
        if self._pool is None:
            if final or self.jobs == 1:
                for path, size in self._todo:
                    self._done([_count_chunk([path], self.options)[0]], size)
                self._todo, self._todo_bytes = [], 0
            return
        while self._todo_bytes >= CHUNK_BYTES:
            self._submit(CHUNK_BYTES)
        if final:
            share = max(self._todo_bytes // self.jobs, 1)
            while self._todo:
                self._submit(share)
        self._collect(wait=False)

    def _start_pool(self) -> None:
        import multiprocessing  # here, not at the top: a warm re-count never starts a pool
        from concurrent.futures import ProcessPoolExecutor

        for name in self.options.tokenizers:  # vocabularies load now, so workers share them
            get_counter(name, self.options.engine).count("load")
        self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                         mp_context=multiprocessing.get_context("fork"))

    def _encode_here(self, final: bool) -> None:
        """Read the waiting files in chunks and hand their texts to the encoder threads; a
        run whose few new files fit one chunk (a re-count) counts them here, thread-less."""
        if final and self._pool is None and self._todo_bytes < CHUNK_BYTES:
            if self._todo:
                paths, weight = self._take(CHUNK_BYTES)
                self._done(count_read_files(_read(paths, self.options), self.options), weight)
            return
        while self._todo_bytes >= CHUNK_BYTES or (final and self._todo):
            if self._pool is None:
                self._pool = self._start_encoder()
            paths, weight = self._take(CHUNK_BYTES)
            files = _read(paths, self.options)
            future = self._pool.submit(_counts_soon, _texts(files), self.options)
            self._encoding.append((files, future, weight))
            self._collect_encoded(wait=False)

    def _start_encoder(self) -> Executor:
        """The encoder threads, and beside them one that loads what the encoders need (and
        builds splintr's Unicode tables) while the first chunks are read and counted."""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        for name in self.options.tokenizers:
            counter = cast(BatchCounter, get_counter(name, self.options.engine))
            threading.Thread(target=counter.prepare, name="ctxlab-prepare").start()
        return ThreadPoolExecutor(max_workers=ENCODER_THREADS, thread_name_prefix="ctxlab-encode")

    def _collect_encoded(self, wait: bool) -> None:
        """Finish the chunks the encoder is done with, in order; with ``wait`` (or too many
        waiting), wait for them."""
        while self._encoding and (wait or len(self._encoding) > ENCODING_AHEAD
                                  or _finished(self._encoding[0][1])):
            files, future, weight = self._encoding.popleft()
            words, tokens = future.result()
            counts = _file_counts(files, (words, {n: f.result() for n, f in tokens.items()}))
            self._done(_with_digests(files, counts, self.options), weight)

    def _submit(self, target: int) -> None:
        """Hand the next ``target`` bytes (at least one file) of ``_todo`` to a worker."""
        paths, weight = self._take(target)
        assert self._pool is not None
        self._running[self._pool.submit(_count_chunk, paths, self.options)] = weight

    def _take(self, target: int) -> tuple[list[str], int]:
        """The next ``target`` bytes (at least one file) of ``_todo``, and their size."""
        taken, weight = 0, 0
        while taken < len(self._todo) and (not taken or weight < target):
            weight += self._todo[taken][1]
            taken += 1
        chunk, self._todo = self._todo[:taken], self._todo[taken:]
        self._todo_bytes -= weight
        return [p for p, _ in chunk], weight

    def _collect(self, wait: bool) -> None:
        if wait and self._running:
            from concurrent.futures import as_completed

            finished: Iterable[Future] = as_completed(list(self._running))
        else:
            finished = [f for f in self._running if f.done()]
        for future in finished:
            self._done(future.result(), self._running.pop(future))

    def _done(self, counted: list[Counted], nbytes: int) -> None:
        for fc, dig in counted:
            self.fresh[fc.path] = (fc, dig)
            self.results[fc.path] = fc
        self._done_bytes += nbytes
        self._report()

    def _report(self) -> None:
        if self.progress:
            self.progress(self._done_bytes, self._found_bytes)


def _finished(future: Future[tuple[list[int], dict[str, Future[list[int]]]]]) -> bool:
    return future.done() and all(f.done() for f in future.result()[1].values())


def worker_count(requested: int, tasks: int) -> int:
    """Processes to fork: as asked (0 = one per CPU), but never more than
    ``MAX_JOBS_PER_CPU`` per CPU or than there are files: more cannot go faster."""
    if requested < 0:
        raise ValueError(f"jobs must be 0 or more, not {requested}")
    cpus = os.cpu_count() or 1
    return max(1, min(requested or cpus, cpus * MAX_JOBS_PER_CPU, tasks))
