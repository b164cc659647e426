"""Count tokens for many files with several tokenizers, spread over processes.

tiktoken gains nothing from threads on a 2-core machine, so files are sharded
over worker processes, largest first so the pool stays balanced. Workers are
forked after the parent has loaded (and validated) the tokenizers, so they
start with them in memory. Each result is a small record; the text never
travels back to the parent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ctxlab.core.count_cache import CachedCount, CountCache, Stat, counter_identity, digest
from ctxlab.core.textfile import EMPTY, MAX_TEXT_BYTES, OK, TextFile, read_text_file
from ctxlab.core.tokenizers.base import Tokenizer
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, get_counter
from ctxlab.core.words import count_words

PARALLEL_MIN_BYTES = 4 << 20  # below this, process start-up costs more than it saves
MAX_JOBS_PER_CPU = 4
MAX_CHUNK_BYTES = 64 << 20  # a worker holds one chunk's text at a time
ProgressFn = Callable[[int, int], None]  # (files advanced, bytes advanced)


@dataclass(frozen=True)
class CountOptions:
    tokenizers: tuple[str, ...]
    allow_special: bool = False  # parse "<|endoftext|>" etc. as special tokens
    replace_invalid: bool = False  # count non-UTF-8 files with U+FFFD instead of skipping
    max_bytes: int = MAX_TEXT_BYTES
    jobs: int = 0  # 0 = one per CPU
    engine: str = DEFAULT_ENGINE  # "fast" (exact, where a fast library exists) or "tiktoken"
    cache_path: str | None = None  # a count cache (count_cache.py) to use; None: count everything


@dataclass(frozen=True)
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
    texts = [tf.text for tf in files if tf.counted]
    per_name = {name: iter(_count_texts(get_counter(name, options.engine), texts, options))
                for name in options.tokenizers}
    counts = []
    for tf in files:
        if not tf.counted:
            counts.append(FileCount(tf.path, tf.status, tf.size, detail=tf.detail))
            continue
        tokens = {name: next(it) for name, it in per_name.items()}
        counts.append(FileCount(tf.path, tf.status, tf.size, len(tf.text), count_words(tf.text),
                                tokens, tf.bom, tf.detail))
    return counts


def _count_texts(counter: Tokenizer, texts: list[str], options: CountOptions) -> list[int]:
    if options.allow_special:
        return [counter.count(t, allow_special=True) for t in texts]
    return counter.count_batch(texts)


Counted = tuple[FileCount, bytes | None]  # the count, and the content digest when caching


def _count_chunk(paths: list[str], options: CountOptions) -> list[Counted]:
    files = [read_text_file(Path(p), replace_invalid=options.replace_invalid,
                            max_bytes=options.max_bytes) for p in paths]
    counts = _count_text_files(files, options)
    if options.cache_path is None:
        return [(fc, None) for fc in counts]
    return [(fc, digest(tf.text) if tf.status in (OK, EMPTY) else None)
            for fc, tf in zip(counts, files, strict=True)]


def count_files(paths: Sequence[Path], options: CountOptions,
                progress: ProgressFn | None = None,
                notify: Callable[[str], None] | None = None) -> list[FileCount]:
    """Counts for ``paths`` in the given order; runs in parallel when it pays off.

    With ``options.cache_path``, unchanged files come from the count cache and new
    counts go into it; ``notify`` hears one line if the cache had to be set aside.
    """
    counters = {name: get_counter(name, options.engine)  # unknown names fail before any work
                for name in options.tokenizers}
    stats = {str(p): Stat.of(str(p)) for p in paths}
    cache = _open_cache(options, counters)
    results: dict[str, FileCount] = {}
    present = {p: s for p, s in stats.items() if s is not None}
    hits = cache.lookup(present) if cache else {}
    for path, (_, cc) in hits.items():
        results[path] = FileCount(path, cc.status, present[path].size, cc.chars, cc.words,
                                  cc.tokens, cc.bom)
    if progress and hits:
        progress(len(hits), sum(present[p].size for p in hits))
    todo = [(p, s.size if s else 0) for p, s in stats.items() if p not in hits]
    fresh = _count_all(todo, options, progress)
    results.update((path, fc) for path, (fc, _) in fresh.items())
    if cache:
        cache.record([(path, stats[path], dig, CachedCount(fc.status, fc.chars, fc.words, fc.bom,
                                                           fc.tokens))
                      for path, (fc, dig) in fresh.items()
                      if dig is not None and stats[path] is not None],
                     used=[dig for dig, _ in hits.values()])
        cache.close()
        if cache.warning and notify:
            notify(cache.warning)
    return [results[path] for path in stats]


def _open_cache(options: CountOptions, counters: dict[str, Tokenizer]) -> CountCache | None:
    if options.cache_path is None:
        return None
    return CountCache(Path(options.cache_path), {
        name: counter_identity(name, c.info.library, c.info.source, options.allow_special)
        for name, c in counters.items()})


def _count_all(sized: list[tuple[str, int]], options: CountOptions,
               progress: ProgressFn | None) -> dict[str, Counted]:
    total = sum(size for _, size in sized)
    jobs = worker_count(options.jobs, len(sized))
    if jobs > 1 and len(sized) > 1 and total >= PARALLEL_MIN_BYTES:
        return _count_parallel(sized, options, jobs, progress)
    results = {}
    for path, size in sized:
        results[path] = _count_chunk([path], options)[0]
        if progress:
            progress(1, size)
    return results


def worker_count(requested: int, tasks: int) -> int:
    """Processes to fork: as asked (0 = one per CPU), but never more than
    ``MAX_JOBS_PER_CPU`` per CPU or than there are files: more cannot go faster."""
    if requested < 0:
        raise ValueError(f"jobs must be 0 or more, not {requested}")
    cpus = os.cpu_count() or 1
    return max(1, min(requested or cpus, cpus * MAX_JOBS_PER_CPU, tasks))


def _count_parallel(sized: list[tuple[str, int]], options: CountOptions, jobs: int,
                    progress: ProgressFn | None) -> dict[str, Counted]:
    import multiprocessing  # here, not at the top: a warm re-count never starts a pool
    from concurrent.futures import ProcessPoolExecutor, as_completed

    for name in options.tokenizers:  # lazy vocabularies load now, so forked workers share them
        get_counter(name, options.engine).count("load")
    chunks = list(_chunks(sorted(sized, key=lambda ps: -ps[1]), jobs))
    results: dict[str, Counted] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(_count_chunk, [p for p, _ in chunk], options): chunk for chunk in chunks
        }
        for future in as_completed(futures):
            for counted in future.result():
                results[counted[0].path] = counted
            if progress:
                chunk = futures[future]
                progress(len(chunk), sum(size for _, size in chunk))
    return results


def _chunks(sized: list[tuple[str, int]], jobs: int) -> Iterable[list[tuple[str, int]]]:
    """Batches of roughly equal bytes: a few per worker, so no worker idles at the end."""
    target = min(max(sum(s for _, s in sized) // (jobs * 8), 1), MAX_CHUNK_BYTES)
    chunk: list[tuple[str, int]] = []
    weight = 0
    for item in sized:
        chunk.append(item)
        weight += item[1]
        if weight >= target:
            yield chunk
            chunk, weight = [], 0
    if chunk:
        yield chunk
