"""Count datasets on Ray when one machine is not enough (``pip install ctxlab[ray]``).

Ray Data reads the files (``read_parquet`` / ``read_json``) in parallel blocks, and
``map_batches`` runs ``CountBatch``, a callable class, in a pool of actors: each actor
loads its tokenizers once, then counts batch after batch with the very function the
local path uses (``count_records``), so the numbers are identical. Only the small
per-record counts travel back to the driver.

With no address, ctxlab starts a local Ray for the run and stops it afterwards;
``address`` (``ray://head:10001``, or ``auto`` inside a cluster) joins a running one,
whose workers must have ctxlab installed (the same version).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ctxlab.core.dataset_count import DatasetCount, DatasetOptions, count_records
from ctxlab.core.datasets import PARQUET_SUFFIX, DatasetError, pick_values, resolve_files

PATH_COLUMN = "path"  # added by Ray's include_paths
BATCH_ROWS = 1024


class CountBatch:
    """One actor's counter: tokenizers load in ``__init__``, once per actor."""

    def __init__(self, options: DatasetOptions) -> None:
        from ctxlab.core.tokenizers.engines import get_counter
        from ctxlab.core.tokenizers.tiktoken_files import enable_offline_tiktoken

        enable_offline_tiktoken()
        self.options = options
        for name in options.tokenizers:
            get_counter(name, options.engine).count("load")

    def __call__(self, batch) -> dict[str, Any]:
        rows = batch.to_pylist()
        records = [pick_values(row, self.options.columns, raw=self.options.chat) for row in rows]
        counts, _ = count_records(records, self.options)
        out: dict[str, Any] = {PATH_COLUMN: [row[PATH_COLUMN] for row in rows],
                               "empty": [not any(r) for r in records]}
        out.update({f"tokens:{name}": values for name, values in counts.items()})
        return out


def count_with_ray(sources: Sequence[str], options: DatasetOptions, *,
                   address: str | None = None, actors: int | None = None) -> list[DatasetCount]:
    """Per-file counts for ``sources``, computed on Ray (a local one unless ``address``)."""
    try:
        import ray
    except ImportError:
        raise DatasetError("--executor ray needs Ray: `pip install ctxlab[ray]`") from None
    files = [p for s in sources for p in resolve_files(s)]
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True, configure_logging=False)
    try:
        # One CPU stays free for the read tasks: actors holding every CPU would starve them.
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return _count(files, options, actors or max(cpus - 1, 1))
    finally:
        if started:
            ray.shutdown()


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
            columns = batch.to_pydict()  # type: ignore[union-attr]  # batch_format="pyarrow"
            rows_of: dict[str, list[int]] = {}
            for i, path in enumerate(columns[PATH_COLUMN]):
                rows_of.setdefault(path, []).append(i)
            for path, rows in rows_of.items():
                counts = {n: [columns[f"tokens:{n}"][i] for i in rows] for n in options.tokenizers}
                results[_key(Path(path))].add(counts, sum(columns["empty"][i] for i in rows))
    return [results[_key(p)] for p in files]


def _key(path: Path) -> str:
    return os.path.realpath(path)
