"""Count datasets and files on Ray when one machine is not enough (``pip install ctxlab[ray]``).

Ray Data reads the files (``read_parquet`` / ``read_json`` for datasets,
``read_binary_files`` for plain files) in parallel blocks, and ``map_batches`` runs
a callable class (``CountBatch``, ``CountFileBatch``) in a pool of actors: each
actor loads its tokenizers once, then counts batch after batch with the very
function the local path uses (``count_records``, ``count_read_files``), so the
numbers are identical. Only the small counts travel back to the driver. For files,
the driver still walks the tree and answers from the count cache; only uncached
files go to Ray.

With no address, ctxlab starts a local Ray for the run and stops it afterwards;
``address`` (``ray://head:10001``, or ``auto`` inside a cluster) joins a running one,
whose workers must have ctxlab installed (the same version).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ctxlab.core.counting import Counted, CountOptions, FileCount, RemoteCount, count_read_files
from ctxlab.core.dataset_count import DatasetCount, DatasetOptions, RecordCounts, count_records
from ctxlab.core.datasets import PARQUET_SUFFIX, DatasetError, pick_values, resolve_files
from ctxlab.core.textfile import decode_bytes, read_text_file

PATH_COLUMN = "path"  # added by Ray's include_paths
BATCH_ROWS = 1024


class _Counter:
    """An actor's state: its tokenizers load in ``__init__``, once per actor."""

    def __init__(self, options: DatasetOptions | CountOptions) -> None:
        from ctxlab.core.tokenizers.engines import get_counter
        from ctxlab.core.tokenizers.tiktoken_files import enable_offline_tiktoken

        enable_offline_tiktoken()
        self.options = options
        for name in options.tokenizers:
            get_counter(name, options.engine).count("load")


class CountBatch(_Counter):
    """One actor's record counter."""

    options: DatasetOptions

    def __call__(self, batch) -> dict[str, Any]:
        rows = batch.to_pylist()
        records = [pick_values(row, self.options.columns, raw=self.options.chat) for row in rows]
        out: dict[str, Any] = {PATH_COLUMN: [row[PATH_COLUMN] for row in rows],
                               "empty": [not any(r) for r in records]}
        if self.options.chat:  # one record at a time: each says whether it was skipped
            counted = [count_records([record], self.options) for record in records]
            out["problem"] = [c.problem if c.invalid else None for c in counted]
            out.update({f"tokens:{name}": [c.tokens[name][0] for c in counted]
                        for name in self.options.tokenizers})
        else:
            out["problem"] = [None] * len(records)
            out.update({f"tokens:{name}": values for name, values
                        in count_records(records, self.options).tokens.items()})
        return out


def count_with_ray(sources: Sequence[str], options: DatasetOptions, *,
                   address: str | None = None, actors: int | None = None) -> list[DatasetCount]:
    """Per-file counts for ``sources``, computed on Ray (a local one unless ``address``)."""
    files = [p for s in sources for p in resolve_files(s)]
    with ray_session(address) as ray:
        return _count(files, options, actors or _actors(ray))


@contextmanager
def ray_session(address: str | None) -> Iterator[Any]:
    """The ``ray`` module, connected: to ``address``, or to a local Ray started (and
    stopped) here unless this process already runs one."""
    try:
        import ray
    except ImportError:
        raise DatasetError("--executor ray needs Ray: `pip install ctxlab[ray]`") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True, configure_logging=False)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _actors(ray: Any) -> int:
    """One CPU stays free for the read tasks: actors holding every CPU would starve them."""
    return max(int(ray.cluster_resources().get("CPU", 1)) - 1, 1)


class CountFileBatch(_Counter):
    """One actor's file counter: the bytes Ray read, decoded and counted as locally."""

    options: CountOptions

    def __call__(self, batch) -> dict[str, Any]:
        files = [decode_bytes(data, path, replace_invalid=self.options.replace_invalid)
                 for path, data in zip(batch.column(PATH_COLUMN).to_pylist(),
                                       batch.column("bytes").to_pylist(), strict=True)]
        counted = count_read_files(files, self.options)
        out: dict[str, Any] = {field: [getattr(fc, field) for fc, _ in counted]
                               for field in _FILE_FIELDS}
        out["digest"] = [dig for _, dig in counted]
        out.update({f"tokens:{name}": [fc.tokens.get(name) for fc, _ in counted]
                    for name in self.options.tokenizers})
        return out


_FILE_FIELDS = ("path", "status", "size", "chars", "words", "bom", "detail")


def file_counter(address: str | None = None, actors: int | None = None) -> RemoteCount:
    """``count_files(..., remote=file_counter())``: uncached files counted on Ray."""
    def count(paths: list[str], options: CountOptions) -> list[Counted]:
        with ray_session(address) as ray:
            return _count_files(paths, options, actors or _actors(ray))

    return count


def _count_files(paths: list[str], options: CountOptions, actors: int) -> list[Counted]:
    import ray.data

    # What Ray's reader cannot take whole (FIFOs, devices, files over the byte limit,
    # unreadable ones) is read here, as the local path would, so it fails the same way.
    local = [p for p in paths if not _plain_file(p, options.max_bytes)]
    results = dict(zip(local, count_read_files(
        [read_text_file(Path(p), replace_invalid=options.replace_invalid,
                        max_bytes=options.max_bytes) for p in local], options), strict=True))
    wanted: dict[str, list[str]] = {}
    for path in paths:
        if path not in results:
            wanted.setdefault(_key(Path(path)), []).append(path)
    if wanted:
        read = ray.data.read_binary_files([names[0] for names in wanted.values()],
                                          include_paths=True)
        counted = read.map_batches(CountFileBatch, fn_constructor_args=(options,),
                                   batch_size=64, batch_format="pyarrow",
                                   concurrency=actors, num_cpus=1)
        for batch in counted.iter_batches(batch_format="pyarrow", batch_size=None):
            columns = _columns(batch)
            for i, where in enumerate(columns[PATH_COLUMN]):
                tokens = {n: columns[f"tokens:{n}"][i] for n in options.tokenizers
                          if columns[f"tokens:{n}"][i] is not None}
                for path in wanted[_key(Path(where))]:
                    fields = {f: columns[f][i] for f in _FILE_FIELDS[1:]}
                    results[path] = (FileCount(path, **fields, tokens=tokens),
                                     columns["digest"][i])
    return [results[p] for p in paths]


def _plain_file(path: str, max_bytes: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= max_bytes and os.access(path, os.R_OK)


def _count(files: list[Path], options: DatasetOptions, actors: int) -> list[DatasetCount]:
    import ray.data

    results = {_key(p): DatasetCount(str(p), bytes=p.stat().st_size) for p in files}
    parquet = [str(p) for p in files if p.name.lower().endswith(PARQUET_SUFFIX)]
    jsonl = [str(p) for p in files if not p.name.lower().endswith(PARQUET_SUFFIX)]
    tops = list(dict.fromkeys(c.split(".")[0] for c in options.columns))
    datasets = []
    if parquet:
        datasets.append(ray.data.read_parquet(parquet, include_paths=True)
                        .select_columns([*tops, PATH_COLUMN]))
    if jsonl:
        datasets.append(ray.data.read_json(jsonl, lines=True, include_paths=True,
                                           file_extensions=None))
    for dataset in datasets:
        counted = dataset.map_batches(CountBatch, fn_constructor_args=(options,),
                                      batch_size=BATCH_ROWS, batch_format="pyarrow",
                                      concurrency=actors, num_cpus=1)
        for batch in counted.iter_batches(batch_format="pyarrow", batch_size=None):
            columns = _columns(batch)
            rows_of: dict[str, list[int]] = {}
            for i, path in enumerate(columns[PATH_COLUMN]):
                rows_of.setdefault(path, []).append(i)
            for path, rows in rows_of.items():
                problems = [columns["problem"][i] for i in rows if columns["problem"][i]]
                results[_key(Path(path))].add(RecordCounts(
                    {n: [columns[f"tokens:{n}"][i] for i in rows] for n in options.tokenizers},
                    sum(columns["empty"][i] for i in rows), len(problems),
                    problems[0] if problems else ""))
    return [results[_key(p)] for p in files]


def _columns(batch: Any) -> dict[str, list]:
    """A pyarrow batch as lists (Ray's iter_batches is typed for every batch format)."""
    return batch.to_pydict()


def _key(path: Path) -> str:
    return os.path.realpath(path)
