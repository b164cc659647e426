"""Split a text into chunks of at most N tokens, cut where a reader would cut.

Each chunk is a slice ``text[start:end]`` of the source, so chunks concatenate back
to it (less the overlaps). A chunk ends at the furthest paragraph break that keeps
it within budget; failing that, the furthest line break, then sentence end, then
token boundary. Every accepted end is checked by re-encoding the chunk exactly as
it will be used, so ``count(chunk) <= max_tokens`` always holds (BPE counts are not
additive: two pieces can take more tokens joined than apart, or fewer).

With ``overlap`` K, each chunk after the first starts with the last ~K tokens of
the previous one (cut at a token boundary), so context carries across chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import takewhile
from dataclasses import dataclass

from ctxlab.core.errors import UserError

# Where a reader would cut, strongest first; a cut goes after the match.
BOUNDARIES = (
    ("paragraph", re.compile(r"\n[ \t]*\n\s*")),
    ("line", re.compile(r"\n")),
    ("sentence", re.compile(r"(?<=[.!?。！？])[\"')\]]*\s+")),
)
MAX_TOKEN_CHARS = 256  # no tokenizer ctxlab ships has a token longer than this


class SplitError(UserError):
    """The budget cannot hold even one character, or the overlap leaves no room."""


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # char offsets into the source text; overlap included
    end: int
    tokens: int
    cut: str  # what ended it: paragraph, line, sentence, token, or end
    text: str


TokenStarts = Callable[[str], list[int | None]]
# Tokens past the budget at which candidate ends stop: re-encoding a prefix that ends at a
# break differs from the longer window's tokens only around the cut, by a token or two.
REACH_SLACK = 8


def split_text(text: str, count: Callable[[str], int], token_starts: TokenStarts,
               max_tokens: int, overlap: int = 0) -> Iterator[Chunk]:
    """Chunks of ``text``, in order, as each is found (a caller can show progress by
    ``chunk.end``). ``count`` counts a string; ``token_starts`` gives, per token, the char
    offset it starts at, or None where it continues a character split across tokens."""
    check_sizes(max_tokens, overlap)
    previous: Chunk | None = None
    pos = 0
    while pos < len(text):
        start = pos
        if previous and overlap:
            start = _overlap_start(text, previous, overlap, token_starts)
        end, cut, tokens = _furthest_end(text, start, pos, max_tokens, count, token_starts)
        if end <= pos and start < pos:  # the overlap left no room: drop it for this chunk
            start = pos
            end, cut, tokens = _furthest_end(text, start, pos, max_tokens, count, token_starts)
        if end <= pos:
            raise SplitError(f"--max-tokens {max_tokens} cannot hold the character at "
                             f"offset {pos} ({text[pos]!r})")
        previous = Chunk(previous.index + 1 if previous else 0, start, end, tokens, cut,
                         text[start:end])
        yield previous
        pos = end


def check_sizes(max_tokens: int, overlap: int) -> None:
    """Refuse a budget no chunk can meet; callers check before reading a big input."""
    if max_tokens < 1:
        raise SplitError("--max-tokens must be at least 1")
    if not 0 <= overlap < max_tokens:
        raise SplitError("--overlap must be at least 0 and less than --max-tokens")


def _furthest_end(text: str, start: int, pos: int, budget: int, count, token_starts
                  ) -> tuple[int, str, int]:
    """The chunk from ``start``: its end (after ``pos``), what cut it and its exact count.

    One encoding of a window a little past the budget bounds where a fitting end can be,
    so each exact count re-encodes about one chunk, not the whole 256-chars-a-token span.
    """
    limit = min(len(text), pos + budget * MAX_TOKEN_CHARS)
    starts, window_end = _first_token_starts(text, start, limit, budget + REACH_SLACK + 1,
                                             token_starts)
    later = [s for s in starts[budget + REACH_SLACK:] if s is not None]
    reach = start + later[0] if later else window_end
    if reach == len(text):
        tokens = count(text[start:])
        if tokens <= budget:
            return len(text), "end", tokens
    for name, pattern in BOUNDARIES:
        ends = [m.end() for m in takewhile(lambda m: m.end() <= reach,
                                           pattern.finditer(text, pos, limit))
                if m.end() > pos]
        best = _largest_fitting(text, start, ends, budget, count)
        if best is not None:
            return best[0], name, best[1]
    fitting = [start + s for s in starts[:budget + 1] if s is not None and start + s > pos]
    for end in reversed(fitting):
        tokens = count(text[start:end])
        if tokens <= budget:
            return end, "token", tokens
    return pos, "token", 0


def _first_token_starts(text: str, start: int, limit: int, wanted: int, token_starts
                        ) -> tuple[list[int | None], int]:
    """Token starts of a window just big enough to hold ``wanted`` tokens (grown as needed),
    and where that window ends."""
    size = wanted * 8
    while True:
        end = min(start + size, limit)
        starts = token_starts(text[start:end])
        if len(starts) > wanted or end == limit:
            return starts, end
        size *= 4


def _largest_fitting(text: str, start: int, ends: list[int], budget: int, count
                     ) -> tuple[int, int] | None:
    """Binary search over candidate ends; every answer is verified by an exact count."""
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        tokens = count(text[start:ends[mid]])
        if tokens <= budget:
            best, lo = (ends[mid], tokens), mid + 1
        else:
            hi = mid - 1
    return best


def _overlap_start(text: str, previous: Chunk, overlap: int, token_starts) -> int:
    """Offset where the last ``overlap`` tokens of ``previous`` begin (a token boundary)."""
    starts = token_starts(previous.text)
    index = max(len(starts) - overlap, 0)
    candidates = [s for s in starts[index:] if s]
    return previous.start + candidates[0] if candidates else previous.end
