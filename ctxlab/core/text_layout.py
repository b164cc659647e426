"""Wrap a document into screen rows by cell width, for views that draw only what is visible.

A 1 MB document has about a million characters, and per-character Python loops
over it take seconds. So widths are looked up once per *distinct* code point,
rows come from prefix sums and binary search, and the only Python loop runs
once per wrapped row of an over-long line. The cell width of a code point is
the caller's business (a terminal UI knows it; this module imports no UI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

NEWLINE, SPACE, TAB = 10, 32, 9


def codepoints(text: str) -> np.ndarray:
    """The code point of every character of ``text`` (lone surrogates kept as-is)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


@dataclass(frozen=True, eq=False)
class CellMetrics:
    """What wrapping needs to know about one text, computed once per text."""

    length: int  # characters
    prefix: np.ndarray  # cells before char i; length + 1 entries
    line_start: np.ndarray  # hard lines: char where each starts
    line_end: np.ndarray  # ... and where it ends (exclusive, after its newline)
    soft_breaks: np.ndarray  # char indices where a row may wrap (just after a space or tab)


def measure(text: str, width_of: Callable[[int], int]) -> CellMetrics:
    """Cell metrics of ``text``; ``width_of(code_point)`` is called once per distinct code point."""
    points = codepoints(text)
    prefix = np.zeros(points.size + 1, dtype=np.int64)
    if points.size:
        # A lookup table indexed by code point: linear time, unlike sorting for np.unique.
        distinct = np.flatnonzero(np.bincount(points))
        table = np.zeros(int(distinct[-1]) + 1, dtype=np.int64)
        table[distinct] = [width_of(int(p)) for p in distinct]
        np.cumsum(table[points], out=prefix[1:])
    after_newline = np.flatnonzero(points == NEWLINE) + 1
    line_start = np.concatenate(([0], after_newline)).astype(np.int64)
    line_end = np.append(after_newline, points.size).astype(np.int64)
    soft_breaks = np.flatnonzero((points == SPACE) | (points == TAB)) + 1
    return CellMetrics(points.size, prefix, line_start, line_end, soft_breaks.astype(np.int64))


@dataclass(frozen=True, eq=False)
class TextLayout:
    """Rows of one text at one width: row ``r`` shows chars ``[row_start[r], row_end[r])``."""

    width: int
    metrics: CellMetrics
    row_start: np.ndarray
    row_end: np.ndarray

    def __len__(self) -> int:
        return int(self.row_start.shape[0])

    def row_of_char(self, char: int) -> int:
        """The row showing ``char`` (the last row for the end of the text)."""
        return max(0, int(np.searchsorted(self.row_start, char, side="right")) - 1)

    def row_cells(self, row: int) -> int:
        prefix = self.metrics.prefix
        return int(prefix[self.row_end[row]] - prefix[self.row_start[row]])

    def cell_of_char(self, char: int) -> int:
        """Column (cells from the row's left edge) where ``char`` is drawn."""
        start = int(self.row_start[self.row_of_char(char)])
        return int(self.metrics.prefix[char] - self.metrics.prefix[start])

    def char_at_cell(self, row: int, cell: int) -> int:
        """The char drawn at column ``cell`` of ``row``; -1 past the row's end (or off the text).

        A wide character (CJK, emoji) answers for both of its cells.
        """
        if not 0 <= row < len(self) or cell < 0:
            return -1
        start, end = int(self.row_start[row]), int(self.row_end[row])
        prefix = self.metrics.prefix
        target = prefix[start] + cell
        if target >= prefix[end]:
            return -1
        char = int(np.searchsorted(prefix, target, side="right")) - 1
        return min(max(char, start), end - 1)


def wrap(metrics: CellMetrics, width: int) -> TextLayout:
    """Rows no wider than ``width`` cells, breaking after a space when one fits, else anywhere."""
    width = max(1, int(width))
    prefix = metrics.prefix
    cells = prefix[metrics.line_end] - prefix[metrics.line_start]
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    taken = 0
    for line in np.flatnonzero(cells > width):
        starts.append(metrics.line_start[taken:line])
        ends.append(metrics.line_end[taken:line])
        row_start, row_end = _wrap_line(
            metrics, int(metrics.line_start[line]), int(metrics.line_end[line]), width
        )
        starts.append(row_start)
        ends.append(row_end)
        taken = int(line) + 1
    starts.append(metrics.line_start[taken:])
    ends.append(metrics.line_end[taken:])
    return TextLayout(width, metrics, np.concatenate(starts), np.concatenate(ends))


def _wrap_line(metrics: CellMetrics, start: int, end: int, width: int) -> tuple[np.ndarray, ...]:
    """Greedy rows of one over-long hard line (one binary search per row, not per char)."""
    prefix, breaks = metrics.prefix, metrics.soft_breaks
    row_starts: list[int] = []
    row_ends: list[int] = []
    while start < end:
        fit = int(np.searchsorted(prefix, prefix[start] + width, side="right")) - 1
        stop = min(fit, end)
        if stop < end:
            k = int(np.searchsorted(breaks, stop, side="right")) - 1
            if k >= 0 and breaks[k] > start:
                stop = int(breaks[k])
        stop = max(stop, start + 1)  # one character wider than the row still gets a row
        row_starts.append(start)
        row_ends.append(stop)
        start = stop
    return np.asarray(row_starts, dtype=np.int64), np.asarray(row_ends, dtype=np.int64)
