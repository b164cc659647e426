"""Which library counts: the fast exact engine where one exists, else the reference.

``count``, ``split`` and ``tokenize`` ask here for the tokenizer that does their
work. ``engine="fast"`` gives the splintr-backed tokenizer for the tiktoken
encodings it matches exactly and the reference tokenizer for everything else;
``engine="tiktoken"`` always gives the reference (stock tiktoken, HF tokenizers,
SentencePiece), for cross-checking. The TUI keeps using the reference.
"""

from __future__ import annotations

import threading

from ctxlab.core.tokenizers.base import Tokenizer, TokenizerError
from ctxlab.core.tokenizers.registry import get_tokenizer, resolve_name

ENGINES = ("fast", "tiktoken")
DEFAULT_ENGINE = "fast"

_lock = threading.Lock()
_fast: dict[str, Tokenizer] = {}


def get_counter(name: str, engine: str = DEFAULT_ENGINE) -> Tokenizer:
    """The tokenizer ``engine`` uses for ``name`` (loaded once per process)."""
    if engine not in ENGINES:
        raise TokenizerError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    key = resolve_name(name)
    if engine == "fast" and _has_fast(key):
        with _lock:
            if key not in _fast:
                from ctxlab.core.tokenizers.fast_bpe import FastBPETokenizer

                _fast[key] = FastBPETokenizer(key)
            return _fast[key]
    return get_tokenizer(key)


def _has_fast(key: str) -> bool:
    from ctxlab.core.tokenizers.fast_bpe import FAST_ENCODINGS, fast_library_version

    return key in FAST_ENCODINGS and fast_library_version() is not None
