"""Read datasets as streams of records: JSONL (plain, .gz, .zst), Parquet, and Hugging Face
datasets already in the local HF cache.

A dataset is counted by the text in named fields, not by its JSON syntax. Files are
never loaded whole: JSONL is read line by line through a decompressor, Parquet one
record batch at a time (``ParquetFile.iter_batches``), so memory stays at one batch.
Every batch says how many bytes of the file it consumed, for a progress bar.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

JSONL_SUFFIXES = (".jsonl", ".ndjson")
COMPRESSED = (".gz", ".zst")
PARQUET_SUFFIX = ".parquet"
HF_PREFIX = "hf-dataset:"
BATCH_ROWS = 1024


class DatasetError(UserError):
    """A dataset cannot be read as asked (one line: which file, which row, what to do)."""


@dataclass(frozen=True)
class Batch:
    """Per record, per column: the strings at that path (or, for chat, the raw value)."""

    records: list[list[Any]]
    consumed: int  # bytes of the file (compressed, on disk) this batch moved past


def is_dataset(source: str) -> bool:
    name = source.lower()
    for suffix in COMPRESSED:
        name = name.removesuffix(suffix)
    return source.startswith(HF_PREFIX) or name.endswith(JSONL_SUFFIXES + (PARQUET_SUFFIX,))


def resolve_files(source: str) -> list[Path]:
    """The files behind a source: itself, or an HF dataset's files for one split."""
    if not source.startswith(HF_PREFIX):
        path = Path(source)
        if not path.is_file():
            raise DatasetError(f"{source}: no such file")
        return [path]
    return hf_cached_files(source[len(HF_PREFIX):])


def hf_cached_files(spec: str) -> list[Path]:
    """``ORG/NAME[:split]`` from the local HF hub cache, offline (default split: train)."""
    name, _, split = spec.partition(":")
    split = split or "train"
    hub = Path(os.environ.get("HF_HUB_CACHE") or Path(
        os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface") / "hub")
    repo = hub / f"datasets--{name.replace('/', '--')}"
    snapshots = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime)
    if not snapshots:
        raise DatasetError(f"{HF_PREFIX}{name}: not in the local HF cache ({repo}); download it "
                           f"once with `huggingface-cli download --repo-type dataset {name}`")
    files = [p for p in sorted(snapshots[-1].rglob("*"))
             if p.is_file() and is_dataset(p.name) and _split_of(p) == split]
    if not files:
        raise DatasetError(f"{HF_PREFIX}{name}: no {split!r} split in {snapshots[-1]}")
    return files


def _split_of(path: Path) -> str:
    """HF's file layout: ``data/train-00000-of-00001.parquet`` or ``train/0000.parquet``."""
    stem = path.name.split(".")[0]
    head = stem.split("-")[0]
    return path.parent.name if head.isdigit() else head


def iter_batches(path: Path, columns: Sequence[str], *, raw: bool = False,
                 batch_rows: int = BATCH_ROWS) -> Iterator[Batch]:
    """Records of ``path`` in batches, with the values of ``columns`` (dotted paths):
    the strings found there, or with ``raw`` the value itself (a chat's messages list)."""
    pick = _raw_value if raw else _string_list
    if path.name.lower().endswith(PARQUET_SUFFIX):
        yield from _parquet_batches(path, columns, batch_rows, pick)
    else:
        yield from _jsonl_batches(path, columns, batch_rows, pick)


def pick_values(row: dict, columns: Sequence[str], *, raw: bool = False) -> list[Any]:
    """One record's values, exactly as ``iter_batches`` gives them (used by the Ray path)."""
    pick = _raw_value if raw else _string_list
    return [pick(row, _parts(c)) for c in columns]


def _jsonl_batches(path: Path, columns: Sequence[str], batch_rows: int, pick) -> Iterator[Batch]:
    parsed = [_parts(c) for c in columns]
    with open(path, "rb") as raw:
        stream = _decompressed(raw, path)
        records: list[Any] = []
        done = 0
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{path}: line {number} is not JSON ({exc})") from None
            records.append([pick(row, parts) for parts in parsed])
            if len(records) >= batch_rows:
                yield Batch(records, raw.tell() - done)
                done, records = raw.tell(), []
        yield Batch(records, os.fstat(raw.fileno()).st_size - done)


def _decompressed(raw, path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        import gzip

        return gzip.GzipFile(fileobj=raw)
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:
            raise DatasetError(f"{path}: reading .zst needs `pip install ctxlab[data]`") from None
        import io

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw))
    return raw


def _parquet_batches(path: Path, columns: Sequence[str], batch_rows: int, pick
                     ) -> Iterator[Batch]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError(f"{path}: reading Parquet needs `pip install ctxlab[data]`") from None
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid family
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from None
    parsed = [_parts(c) for c in columns]
    tops = list(dict.fromkeys(parts[0] for parts in parsed))
    missing = [t for t in tops if t not in handle.schema_arrow.names]
    if missing:
        raise DatasetError(f"{path}: no column {missing[0]!r} (columns: "
                           f"{', '.join(handle.schema_arrow.names)})")
    size = path.stat().st_size
    rows = max(handle.metadata.num_rows, 1)
    seen = 0
    for batch in handle.iter_batches(batch_size=batch_rows, columns=tops):
        rows_in = batch.to_pylist()
        records = [[pick(row, parts) for parts in parsed] for row in rows_in]
        before, seen = seen, seen + batch.num_rows
        yield Batch(records, size * seen // rows - size * before // rows)


def _parts(column: str) -> tuple[str, ...]:
    parts = tuple(column.split("."))
    if not column or not all(parts):
        raise DatasetError(f"--field {column!r}: expected NAME or a dotted path like meta.title")
    return parts


def _string_list(row: Any, parts: Sequence[str]) -> list[str]:
    return list(_strings(row, parts))


def _raw_value(row: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if isinstance(row, dict):
            row = row.get(part)
        elif isinstance(row, list) and part.isdigit() and int(part) < len(row):
            row = row[int(part)]
        else:
            return None
    return row


def _strings(value: Any, parts: Sequence[str]) -> Iterator[str]:
    """The strings at a dotted path; lists fan out (``messages.content``), ``0`` indexes."""
    if isinstance(value, list):
        if parts and parts[0].isdigit():
            index = int(parts[0])
            if index < len(value):
                yield from _strings(value[index], parts[1:])
            return
        for item in value:
            yield from _strings(item, parts)
    elif not parts:
        if isinstance(value, str):
            yield value
    elif isinstance(value, dict):
        yield from _strings(value.get(parts[0]), parts[1:])
