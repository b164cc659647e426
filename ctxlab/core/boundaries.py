"""Where tokenizers agree about cutting a text: the boundaries they share, and where they differ.

A boundary is a character offset where a token starts, other than the start
of the text (which every tokenizer shares, so it says nothing). Offsets are
characters because that is what a reader sees; when several byte-level tokens
split one character they share its offset, and the split style already shows
that. Arrays, not sets, so a book's half-million tokens compare in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

import numpy as np

from ctxlab.core.spans import TokenSpans


def cuts(spans: TokenSpans) -> np.ndarray:
    """The sorted, distinct boundaries of one tokenization (``char_start`` is non-decreasing)."""
    starts = spans.char_start[spans.char_start > 0]
    if starts.size == 0:
        return starts.astype(np.int64)
    return starts[np.concatenate(([True], starts[1:] != starts[:-1]))].astype(np.int64)


@dataclass(frozen=True, eq=False)
class BoundaryAgreement:
    """The boundaries of several tokenizations of one text, and which of them all share."""

    names: tuple[str, ...]
    boundaries: np.ndarray  # every offset at least one tokenizer cuts at, sorted
    shared: np.ndarray  # the offsets every tokenizer cuts at, sorted
    unshared: dict[str, np.ndarray]  # per tokenizer, per token: starts at a boundary not shared

    @property
    def first_disagreement(self) -> int | None:
        """The first offset where some tokenizer cuts and another does not (None: they agree)."""
        differ = np.setdiff1d(self.boundaries, self.shared, assume_unique=True)
        return int(differ[0]) if differ.size else None

    def summary(self) -> str:
        """One line, e.g. ``boundaries shared by all: 3 of 7; first disagreement at char 5``."""
        first = self.first_disagreement
        where = "no disagreement" if first is None else f"first disagreement at char {first:,}"
        counts = f"{len(self.shared):,} of {len(self.boundaries):,}"
        return f"boundaries shared by all: {counts}; {where}"


def agreement(spans: Mapping[str, TokenSpans]) -> BoundaryAgreement:
    """Compare the boundaries of ``spans`` (tokenizer name -> tokens of the same text)."""
    if not spans:
        raise ValueError("agreement needs at least one tokenization")
    texts = {s.text for s in spans.values()}
    if len(texts) > 1:
        raise ValueError("agreement compares tokenizations of one text")
    each = [cuts(s) for s in spans.values()]
    shared = reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), each)
    boundaries = reduce(np.union1d, each)
    unshared = {name: (s.char_start > 0) & ~np.isin(s.char_start, shared)
                for name, s in spans.items()}
    return BoundaryAgreement(tuple(spans), boundaries, shared, unshared)
