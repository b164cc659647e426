"""A single byte-based progress bar on stderr for long CLI runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def byte_progress(files: list[Path]) -> Iterator[Callable[[int, int], None]]:
    """Yield ``advance(files, bytes)``; one rich task for the whole run."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    columns = (TextColumn("counting"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("count", total=total)
        yield lambda _files, nbytes: progress.advance(task, nbytes)


@contextmanager
def record_progress(total_bytes: int) -> Iterator[Callable[[int, int], None]]:
    """Yield ``advance(records, bytes)`` for a dataset: records so far, and bytes of the files."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("counting {task.fields[rows]:,} records"), BarColumn(),
               DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("records", total=total_bytes, rows=0)
        rows = 0

        def advance(records: int, nbytes: int) -> None:
            nonlocal rows
            rows += records
            progress.update(task, advance=nbytes, rows=rows)

        yield advance
