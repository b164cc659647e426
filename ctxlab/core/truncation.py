"""Truncation strategies as pure functions over token spans.

Each strategy picks token ranges to keep; the result carries the kept text and
the dropped character ranges (so a UI can grey them out). Cuts move to the
nearest token boundary that does not split a character, and, given the
tokenizer, the kept text is re-encoded and shrunk until it fits the budget:
joining two pieces, or cutting a word, can make BPE spend more tokens than the
original spans did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from ctxlab.core.spans import TokenSpans
from ctxlab.core.strategies import StrategyRecord, names
from ctxlab.core.strategies import strategy as strategy_record

# Strategies ``truncate`` applies (the registry's records with a ``keep`` rule).
STRATEGIES = names(lambda record: record.keep is not None)


@dataclass(frozen=True)
class Truncation:
    strategy: str
    budget: int
    kept: list[tuple[int, int]]  # token index ranges [start, end) in the original spans
    dropped_chars: list[tuple[int, int]]  # char ranges of the original text not kept
    kept_text: str
    kept_tokens: int  # original tokens inside ``kept``
    dropped_tokens: int
    kept_chars: list[tuple[int, int]]  # char ranges of the original text kept
    reencoded_tokens: int | None = None  # tokens in ``kept_text`` re-encoded, when checked


def truncate(spans: TokenSpans, budget: int, strategy: str = "keep-start", *,
             sinks: int | None = None, tokenizer=None) -> Truncation:
    """Keep at most ``budget`` tokens of ``spans`` by ``strategy`` (a name or alias).

    ``sinks`` defaults to the strategy's own. With ``tokenizer`` the kept text
    is re-encoded and the cut pulled back until that count fits too; without it
    only the original token ranges are counted.
    """
    record = strategy_record(strategy)
    if record.keep is None:
        raise ValueError(f"strategy {record.name!r} does not cut tokens: use one of "
                         f"{', '.join(STRATEGIES)}")
    if budget < 0:
        raise ValueError("the budget cannot be negative")
    sinks = (record.sinks or 0) if sinks is None else sinks
    if record.sinks is not None and not 0 <= sinks <= budget:
        raise ValueError(f"sinks ({sinks}) must be between 0 and the budget ({budget})")
    cuts = _Cuts(spans)
    head, tail = (len(spans), 0) if len(spans) <= budget else record.keep(budget, sinks)
    allow_special = bool(spans.special.any())
    while True:
        result = cuts.build(record.name, budget, head, tail)
        if tokenizer is None:
            return result
        count = tokenizer.count(result.kept_text, allow_special=allow_special)
        if count <= budget:
            return replace(result, reencoded_tokens=count)
        head, tail = _shrink(record, head, tail, count - budget)


def cut(spans: TokenSpans, budget: int, strategy: str, *, position: int = 0,
        tokenizer=None) -> tuple[Truncation, int]:
    """The cut the Truncate tab shows and, for a sliding window, how many positions there are.

    A sliding window moves by half its width; ``position`` picks one (clamped).
    Sinks are capped at the budget, so any budget works.
    """
    record = strategy_record(strategy)
    if record.slides:
        windows = list(sliding_windows(spans, budget, max(1, budget // 2)))
        return windows[min(max(position, 0), len(windows) - 1)], len(windows)
    sinks = None if record.sinks is None else min(record.sinks, budget)
    return truncate(spans, budget, record.name, sinks=sinks, tokenizer=tokenizer), 1


def dropped_mask(n_tokens: int, kept: list[tuple[int, int]]) -> np.ndarray:
    """True for every token outside the ``kept`` ranges (what a view greys out)."""
    mask = np.ones(n_tokens, dtype=bool)
    for start, end in kept:
        mask[start:end] = False
    return mask


def sliding_windows(spans: TokenSpans, width: int, stride: int) -> Iterator[Truncation]:
    """Windows of ``width`` tokens every ``stride`` tokens; the last one ends at the end."""
    if width <= 0 or stride <= 0:
        raise ValueError("window width and stride must be positive")
    cuts = _Cuts(spans)
    n = len(spans)
    starts = list(range(0, max(n - width, 0) + 1, stride))
    if starts[-1] + width < n:
        starts.append(n - width)
    for start in starts:
        yield cuts.build_ranges("window", width, [(start, min(start + width, n))])


def _shrink(record: StrategyRecord, head: int, tail: int, excess: int) -> tuple[int, int]:
    """Give back ``excess`` tokens from the side next to the cut (sinks are kept longest)."""
    if tail == 0 or (record.shrink_larger and head > tail):
        return max(head - excess, 0), tail
    return head, max(tail - excess, 0)


class _Cuts:
    """Token boundaries of one document that do not fall inside a character."""

    def __init__(self, spans: TokenSpans) -> None:
        self.spans = spans
        n = len(spans)
        self.n = n
        self.valid = np.ones(n + 1, dtype=bool)
        if n > 1:
            self.valid[1:n] = spans.char_end[:-1] <= spans.char_start[1:]

    def char_at(self, cut: int) -> int:
        """Where cut ``cut`` falls in the text; gaps between tokens go with the later token."""
        if cut <= 0:
            return 0
        if cut >= self.n:
            return len(self.spans.text)
        return int(self.spans.char_start[cut])

    def down(self, cut: int) -> int:
        while cut > 0 and not self.valid[cut]:
            cut -= 1
        return cut

    def up(self, cut: int) -> int:
        while cut < self.n and not self.valid[cut]:
            cut += 1
        return cut

    def build(self, strategy: str, budget: int, head: int, tail: int) -> Truncation:
        head_end = self.down(head)
        tail_start = max(self.up(self.n - tail), head_end)
        return self.build_ranges(strategy, budget, [(0, head_end), (tail_start, self.n)])

    def build_ranges(self, strategy: str, budget: int, ranges: list[tuple[int, int]]) -> Truncation:
        ranges = _merge([(self.up(s), self.down(e)) for s, e in ranges])
        text = self.spans.text
        kept_chars = [(self.char_at(s), self.char_at(e)) for s, e in ranges]
        kept_tokens = sum(e - s for s, e in ranges)
        return Truncation(
            strategy=strategy, budget=budget, kept=ranges,
            dropped_chars=_complement(kept_chars, len(text)),
            kept_text="".join(text[a:b] for a, b in kept_chars),
            kept_tokens=kept_tokens, dropped_tokens=self.n - kept_tokens, kept_chars=kept_chars,
        )


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop empty ranges and join touching ones (sorted input)."""
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _complement(ranges: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    gaps, pos = [], 0
    for start, end in ranges:
        if start > pos:
            gaps.append((pos, start))
        pos = max(pos, end)
    if pos < length:
        gaps.append((pos, length))
    return gaps
