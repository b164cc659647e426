"""Which library counts: the fast exact engine where one exists, else the reference.

``count`` and other callers that need only counts or ids ask for a *counter*
here instead of a full tokenizer. ``engine="fast"`` gives the splintr-backed
counter for the tiktoken encodings it matches exactly and the reference
tokenizer for everything else; ``engine="tiktoken"`` always gives the reference
(stock tiktoken, HF tokenizers, SentencePiece), for cross-checking.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from ctxlab.core.tokenizers.base import TokenizerError, TokenizerInfo
from ctxlab.core.tokenizers.registry import get_tokenizer, resolve_name

ENGINES = ("fast", "tiktoken")
DEFAULT_ENGINE = "fast"

_lock = threading.Lock()
_fast: dict[str, Counter] = {}


class Counter(Protocol):
    info: TokenizerInfo

    def count(self, text: str, *, allow_special: bool = False) -> int: ...

    def count_batch(self, texts: Sequence[str]) -> list[int]: ...


def get_counter(name: str, engine: str = DEFAULT_ENGINE) -> Counter:
    """The counter ``engine`` uses for tokenizer ``name`` (loaded once per process)."""
    if engine not in ENGINES:
        raise TokenizerError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    key = resolve_name(name)
    if engine == "fast" and _has_fast(key):
        with _lock:
            if key not in _fast:
                from ctxlab.core.tokenizers.fast_bpe import FastBPECounter

                _fast[key] = FastBPECounter(key)
            return _fast[key]
    return get_tokenizer(key)


def _has_fast(key: str) -> bool:
    from ctxlab.core.tokenizers.fast_bpe import FAST_ENCODINGS, fast_library_version

    return key in FAST_ENCODINGS and fast_library_version() is not None
