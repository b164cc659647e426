"""Token counts for datasets: per file and in total, with per-record percentiles.

``count_records`` is the one counting function: the local path runs it on batches
in a bounded window of forked workers (memory stays at a few batches however big
the file), and the Ray executor runs the same function inside its actors, so both
give identical numbers.
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ctxlab.core.datasets import iter_batches, resolve_files
from ctxlab.core.sizing import CHINCHILLA_TOKENS_PER_PARAM, FLOPS_PER_PARAM_TOKEN
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, get_counter

ProgressFn = Callable[[int, int], None]  # (records advanced, bytes advanced)
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class DatasetOptions:
    tokenizers: tuple[str, ...]
    fields: tuple[str, ...] = ("text",)  # dotted paths; with chat, the messages list's path
    chat: bool = False  # count each record's messages with the tokenizer's chat template
    engine: str = DEFAULT_ENGINE
    jobs: int = 0  # 0 = one per CPU

    @property
    def columns(self) -> tuple[str, ...]:
        return self.fields[:1] if self.chat else self.fields


@dataclass
class DatasetCount:
    """One file's totals, with every record's count kept (4 bytes each) for percentiles."""

    path: str
    rows: int = 0
    empty: int = 0  # records with no text at the fields
    bytes: int = 0  # on disk
    tokens: dict[str, int] = field(default_factory=dict)
    per_record: dict[str, array] = field(default_factory=dict)
    invalid: int = 0  # --chat records that are not valid messages: skipped, counted 0
    problem: str = ""  # why the first of them was skipped

    def add(self, counted: RecordCounts) -> None:
        self.rows += len(next(iter(counted.tokens.values()), []))
        self.empty += counted.empty
        self.invalid += counted.invalid
        self.problem = self.problem or counted.problem
        for name, values in counted.tokens.items():
            self.tokens[name] = self.tokens.get(name, 0) + sum(values)
            self.per_record.setdefault(name, array("q")).extend(values)


class RecordCounts(NamedTuple):
    tokens: dict[str, list[int]]  # per tokenizer, each record's tokens (its fields summed)
    empty: int  # records with no text
    invalid: int = 0  # --chat records skipped as invalid (they count 0)
    problem: str = ""  # the first one's reason


def count_records(records: Sequence[list[Any]], options: DatasetOptions) -> RecordCounts:
    """The counts of one batch of records (each a list of its fields' values)."""
    empty = sum(1 for r in records if not any(r))
    if options.chat:
        return _count_chats(records, options, empty)
    texts = [t for record in records for values in record for t in values]
    owners = [i for i, record in enumerate(records) for values in record for _ in values]
    counts = {}
    for name in options.tokenizers:
        per_record = [0] * len(records)
        for owner, n in zip(owners, get_counter(name, options.engine).count_batch(texts),
                            strict=True):
            per_record[owner] += n
        counts[name] = per_record
    return RecordCounts(counts, empty)


def _count_chats(records: Sequence[list[Any]], options: DatasetOptions, empty: int
                 ) -> RecordCounts:
    """Chat-templated counts; a record that is not a valid messages list (or that a
    template refuses) is skipped with 0 tokens and reported, as data tools do, rather
    than stopping a run over millions of records."""
    from ctxlab.core.chat import ChatError, count_chat, parse_messages

    counts: dict[str, list[int]] = {name: [] for name in options.tokenizers}
    invalid, problem = 0, ""
    for record in records:
        messages = record[0]
        row = {name: 0 for name in options.tokenizers}
        try:
            if messages is not None:
                parsed = parse_messages(messages, "record")
                for name in options.tokenizers:
                    row[name] = count_chat(get_counter(name, options.engine), parsed).chat_tokens
        except ChatError as exc:
            invalid += 1
            problem = problem or str(exc)
            row = dict.fromkeys(row, 0)
        for name, n in row.items():
            counts[name].append(n)
    return RecordCounts(counts, empty, invalid, problem)


def count_dataset(source: str, options: DatasetOptions, progress: ProgressFn | None = None
                  ) -> list[DatasetCount]:
    """Counts for every file behind ``source``, streamed batch by batch."""
    files = resolve_files(source)
    for name in options.tokenizers:
        get_counter(name, options.engine).count("load")  # before forking
    results = []
    jobs = options.jobs or os.cpu_count() or 1
    pool = (ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
            if jobs > 1 else None)
    try:
        for path in files:
            result = DatasetCount(str(path), bytes=path.stat().st_size)
            for counted, consumed in _counted(path, options, pool, jobs):
                result.add(counted)
                if progress:
                    progress(len(next(iter(counted.tokens.values()), [])), consumed)
            results.append(result)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return results


def _counted(path: Path, options: DatasetOptions, pool: ProcessPoolExecutor | None, jobs: int
             ) -> Iterator[tuple[RecordCounts, int]]:
    """Batches counted in order; at most ``2 * jobs`` in flight, so reading never runs ahead."""
    batches = iter_batches(path, options.columns, raw=options.chat)
    if pool is None:
        for batch in batches:
            yield count_records(batch.records, options), batch.consumed
        return
    window: list[tuple[Future, int]] = []
    for batch in batches:
        window.append((pool.submit(count_records, batch.records, options), batch.consumed))
        if len(window) >= 2 * jobs:
            future, consumed = window.pop(0)
            yield future.result(), consumed
    for future, consumed in window:
        yield future.result(), consumed


def merged(results: Iterable[DatasetCount], label: str = "total") -> DatasetCount:
    total = DatasetCount(label)
    for r in results:
        total.rows += r.rows
        total.empty += r.empty
        total.bytes += r.bytes
        total.invalid += r.invalid
        total.problem = total.problem or r.problem
        for name, n in r.tokens.items():
            total.tokens[name] = total.tokens.get(name, 0) + n
            total.per_record.setdefault(name, array("q")).extend(r.per_record[name])
    return total


def percentiles(values: Sequence[int]) -> dict[str, int]:
    """Nearest-rank p50/p90/p99 and the max of per-record counts (zeros when empty)."""
    ordered = sorted(values)
    if not ordered:
        return {**{f"p{p}": 0 for p in PERCENTILES}, "max": 0}
    out = {f"p{p}": ordered[max(-(-p * len(ordered) // 100) - 1, 0)] for p in PERCENTILES}
    return {**out, "max": ordered[-1]}


def over_budget(values: Sequence[int], budget: int) -> int:
    return sum(1 for v in values if v > budget)


@dataclass(frozen=True)
class TrainingSize:
    """Chinchilla's answer for a corpus of ``tokens``: the compute-optimal model and its cost."""

    tokens: int
    params: int  # tokens / 20
    flops: float  # 6 N D


def training_size(tokens: int) -> TrainingSize:
    params = tokens // CHINCHILLA_TOKENS_PER_PARAM
    return TrainingSize(tokens, params, float(FLOPS_PER_PARAM_TOKEN) * params * tokens)
