"""Count tokens for many files with several tokenizers, spread over processes.

tiktoken gains nothing from threads on a 2-core machine, so files are sharded
over worker processes, largest first so the pool stays balanced. Workers are
forked after the parent has loaded (and validated) the tokenizers, so they
start with them in memory. Each result is a small record; the text never
travels back to the parent.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ctxlab.core.textfile import TextFile, decode_bytes, read_text_file
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, get_counter
from ctxlab.core.words import count_words

PARALLEL_MIN_BYTES = 4 << 20  # below this, process start-up costs more than it saves
ProgressFn = Callable[[int, int], None]  # (files advanced, bytes advanced)


@dataclass(frozen=True)
class CountOptions:
    tokenizers: tuple[str, ...]
    allow_special: bool = False  # parse "<|endoftext|>" etc. as special tokens
    replace_invalid: bool = False  # count non-UTF-8 files with U+FFFD instead of skipping
    max_bytes: int | None = 512 << 20
    jobs: int = 0  # 0 = one per CPU
    engine: str = DEFAULT_ENGINE  # "fast" (exact, where a fast library exists) or "tiktoken"


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
    if not tf.counted:
        return FileCount(tf.path, tf.status, tf.size, detail=tf.detail)
    tokens = {
        name: get_counter(name, options.engine).count(tf.text,
                                                      allow_special=options.allow_special)
        for name in options.tokenizers
    }
    return FileCount(tf.path, tf.status, tf.size, len(tf.text), count_words(tf.text), tokens,
                     tf.bom, tf.detail)


def count_bytes(data: bytes, name: str, options: CountOptions) -> FileCount:
    """Count text that did not come from a file (stdin, a paste)."""
    return count_text_file(decode_bytes(data, name, replace_invalid=options.replace_invalid),
                           options)


def _count_path(path: str, options: CountOptions) -> FileCount:
    tf = read_text_file(Path(path), replace_invalid=options.replace_invalid,
                        max_bytes=options.max_bytes)
    return count_text_file(tf, options)


def _count_chunk(paths: list[str], options: CountOptions) -> list[FileCount]:
    return [_count_path(p, options) for p in paths]


def count_files(paths: Sequence[Path], options: CountOptions,
                progress: ProgressFn | None = None) -> list[FileCount]:
    """Counts for ``paths`` in the given order; runs in parallel when it pays off."""
    for name in options.tokenizers:
        get_counter(name, options.engine)  # load (and validate) before forking
    sized = [(str(p), _size(p)) for p in paths]
    total = sum(size for _, size in sized)
    jobs = options.jobs or os.cpu_count() or 1
    if jobs > 1 and len(sized) > 1 and total >= PARALLEL_MIN_BYTES:
        results = _count_parallel(sized, options, jobs, progress)
    else:
        results = {}
        for path, size in sized:
            results[path] = _count_path(path, options)
            if progress:
                progress(1, size)
    return [results[path] for path, _ in sized]


def _count_parallel(sized: list[tuple[str, int]], options: CountOptions, jobs: int,
                    progress: ProgressFn | None) -> dict[str, FileCount]:
    chunks = list(_chunks(sorted(sized, key=lambda ps: -ps[1]), jobs))
    results: dict[str, FileCount] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(_count_chunk, [p for p, _ in chunk], options): chunk for chunk in chunks
        }
        for future in as_completed(futures):
            for fc in future.result():
                results[fc.path] = fc
            if progress:
                chunk = futures[future]
                progress(len(chunk), sum(size for _, size in chunk))
    return results


def _chunks(sized: list[tuple[str, int]], jobs: int) -> Iterable[list[tuple[str, int]]]:
    """Batches of roughly equal bytes: a few per worker, so no worker idles at the end."""
    target = max(sum(s for _, s in sized) // (jobs * 8), 1)
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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
