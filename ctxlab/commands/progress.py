"""A single byte-based progress bar on stderr for long CLI runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager


def terminal_progress(quiet: bool, label: str = "counting"
                      ) -> AbstractContextManager[Callable[[int, int], None] | None]:
    """``byte_progress`` on a terminal's stderr; ``None`` (no bar) when quiet or piped."""
    import sys
    from contextlib import nullcontext

    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    return byte_progress(label=label)


@contextmanager
def byte_progress(delay: float = 0.5, label: str = "counting"
                  ) -> Iterator[Callable[[int, int], None]]:
    """Yield ``update(bytes_done, bytes_found)``; one rich task for the whole run.

    The bar appears only once the run has lasted ``delay`` seconds, so a quick count
    never imports rich, and its total grows while the walk is still finding files.
    """
    start = time.monotonic()
    bar = None

    def update(done: int, found: int) -> None:
        nonlocal bar
        if bar is None:
            if time.monotonic() - start < delay:
                return
            bar = _Bar(label)
        bar.update(done, found)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


class _Bar:
    def __init__(self, label: str) -> None:
        from rich import progress as bars
        from rich.console import Console

        columns = (bars.TextColumn(label), bars.BarColumn(), bars.DownloadColumn(),
                   bars.TimeRemainingColumn())
        self.progress = bars.Progress(*columns, console=Console(stderr=True), transient=True)
        self.task = self.progress.add_task("count", total=None)
        self.progress.start()

    def update(self, done: int, found: int) -> None:
        self.progress.update(self.task, completed=done, total=found)

    def stop(self) -> None:
        self.progress.stop()


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


@contextmanager
def status_line(shown: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield ``say(text)``: one line on a terminal's stderr, rewritten in place and cleared
    at the end; nothing on a pipe or a file, nor when not ``shown``."""
    import sys

    live = shown and sys.stderr.isatty()

    def say(text: str) -> None:
        if live:
            sys.stderr.write(f"\r{text}…\x1b[K")
            sys.stderr.flush()

    try:
        yield say
    finally:
        if live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


@contextmanager
def ends_on_ctrl_c() -> Iterator[None]:
    """Let Ctrl-C end the process at once while a native call runs that holds the GIL (an
    HF or SentencePiece encode of a big text): Python would only see it when the call
    returns. For work that has written nothing yet."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
