"""Everything the TUI derives from a document, computed off the UI thread.

`run_analysis` is plain code with a ``post`` callback and a ``cancelled``
check, so the app runs it in an exclusive thread worker (the newest edit
cancels the old run) and tests can run it directly. Results are posted in the
order the screen needs them: rows first, then the main tokenizer, then the
compared ones, then counts for the context windows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import measure, wrap
from ctxlab.core.tokenizers import Tokenizer, loaded_tokenizer
from ctxlab.core.tokenizers.elsewhere import ElsewhereTokenizer
from ctxlab.tui.glyphs import cell_width
from ctxlab.tui.messages import (
    AnalysisMessage,
    AnalysisProgress,
    CountsReady,
    DocumentMeasured,
    TokenizerFailed,
    TokensReady,
)

PROGRESS_INTERVAL = 0.25  # seconds between progress messages
# From here even a loaded tokenizer runs in the helper process: some backends hold the GIL
# while they encode, which would stall every key for as long as the encode takes (1.6 s
# for 1 MB).
ELSEWHERE_CHARS = 50_000


def worker_tokenizer(name: str, chars: int) -> Tokenizer | ElsewhereTokenizer:
    """The tokenizer a TUI worker should use for a text of ``chars`` characters.

    This process's own copy when it already holds one and the text is short; otherwise
    the helper process's, so the UI never waits while a vocabulary loads or a long
    encode holds the GIL.
    """
    here = loaded_tokenizer(name)
    return here if here is not None and chars < ELSEWHERE_CHARS else ElsewhereTokenizer(name)


@dataclass(frozen=True)
class AnalysisRequest:
    version: int
    text: str
    tokenizers: tuple[str, ...]  # to split the text with, the token view's first
    count_only: tuple[str, ...] = ()  # only their counts are needed (context windows)
    allow_special: bool = False  # parse "<|endoftext|>" etc. as special tokens
    wrap_width: int = 0  # the token view's width, so the first paint needs no second pass
    known: tuple[tuple[str, TokenSpans], ...] = ()  # spans of this very text already computed
    measured: bool = False  # the app already holds this text's cell metrics


class Throttle:
    """True at most once per ``interval`` seconds (the first call always passes)."""

    def __init__(self, interval: float = PROGRESS_INTERVAL) -> None:
        self.interval, self._last = interval, float("-inf")

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def run_analysis(request: AnalysisRequest, post: Callable[[AnalysisMessage], object],
                 cancelled: Callable[[], bool]) -> None:
    """Measure, wrap, tokenize and count ``request.text``, posting each result as it lands."""
    version, text = request.version, request.text
    known = dict(request.known)
    if not request.measured:
        metrics = measure(text, cell_width)
        layout = wrap(metrics, request.wrap_width) if request.wrap_width > 0 else None
        post(DocumentMeasured(version, metrics, layout))
    throttle = Throttle()
    todo = [name for name in request.tokenizers if name not in known]
    steps = len(todo) + bool(request.count_only)
    for step, name in enumerate(todo):
        if cancelled():
            return
        if throttle.ready():
            post(AnalysisProgress(version, step, steps, f"tokenizing with {name}"))
        started = time.perf_counter()
        try:
            spans = _encode(name, text, request.allow_special)
        except Exception as exc:  # any backend failure is reported, never fatal to the session
            post(TokenizerFailed(version, name, failure_reason(exc)))
            continue
        known[name] = spans
        post(TokensReady(version, name, spans, time.perf_counter() - started))
    if request.count_only and not cancelled():
        post(AnalysisProgress(version, steps - 1, steps, "counting for context windows"))
        if not _count(request, known, post, cancelled):
            return
    post(AnalysisProgress(version, steps, steps, "done"))


def _count(request: AnalysisRequest, known: dict[str, TokenSpans],
           post: Callable[[AnalysisMessage], object], cancelled: Callable[[], bool]) -> bool:
    """Post each window tokenizer's count as it lands (False: cancelled on the way)."""
    for name in request.count_only:
        if cancelled():
            return False
        try:
            count = len(known[name]) if name in known else _count_of(
                name, request.text, request.allow_special)
        except Exception as exc:  # a window whose tokenizer is missing shows "no count"
            post(TokenizerFailed(request.version, name, failure_reason(exc)))
            continue
        post(CountsReady(request.version, {name: count}))
    return True


def _encode(name: str, text: str, allow_special: bool) -> TokenSpans:
    return worker_tokenizer(name, len(text)).encode(text, allow_special=allow_special)


def _count_of(name: str, text: str, allow_special: bool) -> int:
    return worker_tokenizer(name, len(text)).count(text, allow_special=allow_special)


def failure_reason(exc: Exception) -> str:
    """One line for the user: a ``UserError`` already says why and how; others name the type."""
    from ctxlab.core.errors import UserError

    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
