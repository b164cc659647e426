"""Exact token counts and ids for tiktoken encodings at several times tiktoken's speed.

splintr-rs (MIT, Rust, abi3 wheels for Linux, macOS and Windows) was chosen over
toktok-rs and fastokens: over every Unicode scalar value in context and the
whole standard library its ids equal tiktoken's, while toktok-rs miscounts
about 4,700 code points that newer Unicode tables made letters (measurements:
the README's "Counting engines" section). It loads a vocabulary in ~0.05 s and needs no data files.

tiktoken stays the reference. It is used, and loaded only then, for what the
fast library does differently or cannot take:
- ``allow_special``: splintr adds its own agent tokens (``<|think|>``) to every
  vocabulary, so only tiktoken knows which special strings are real;
- text with lone surrogates, which Rust strings cannot hold (tiktoken encodes
  them as U+FFFD).
splintr's ``encode_flat`` returns ids as packed bytes, much cheaper than a list
of ints, but it matches special strings, so text containing ``<|`` (every
special token of every vocabulary starts so) goes through ``encode_ordinary``.

``count_batch`` hands a whole batch to ``encode_batch_flat``, which encodes on
every core in Rust threads (rayon) without holding the GIL, so one process can
read files while it encodes. Only the process that imported this module does so:
a fork of one whose rayon had started has rayon's state but none of its threads,
and a batch there would wait for ever; and forked workers are one per core
already. They count one text at a time.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING

from ctxlab.core.tokenizers.base import TokenizerInfo

if TYPE_CHECKING:
    from ctxlab.core.spans import TokenSpans
    from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

FAST_LIBRARY = "splintr-rs"
FAST_ENCODINGS = ("cl100k_base", "o200k_base", "o200k_harmony")
# tiktoken's n_vocab (ranks plus its own special tokens); a test checks them against tiktoken.
TIKTOKEN_N_VOCAB = {"cl100k_base": 100277, "o200k_base": 200019, "o200k_harmony": 201088}
_ID_BYTES = 4  # encode_flat packs each id as a little-endian u32
_SPECIAL_MARK = "<|"
_BATCHING_PID = os.getpid()  # the one process whose batches go to rayon's threads


def fast_library_version() -> str | None:
    """The installed splintr-rs version, or None when it is missing or broken."""
    try:
        return import_module("splintr").__version__
    except ImportError:
        return None


class FastBPETokenizer:
    """tiktoken-identical ids, counts and spans for one encoding, tiktoken as fallback."""

    parallel_batches = True  # count_batch uses every core without the GIL (not in a fork)

    def __init__(self, encoding_name: str) -> None:
        import splintr

        from ctxlab.core.tokenizers.tiktoken_backend import EXACT_FOR

        self.name = encoding_name
        self.info = TokenizerInfo(
            name=encoding_name,
            family="tiktoken",
            vocab_size=TIKTOKEN_N_VOCAB[encoding_name],
            source=f"{FAST_LIBRARY} built-in {encoding_name} ranks (equal to tiktoken's)",
            licence="MIT",
            library=f"{FAST_LIBRARY} {splintr.__version__} (tiktoken fallback)",
            exact_for=EXACT_FOR.get(encoding_name, ()),
        )

    @cached_property
    def _fast(self):
        """The vocabulary, loaded on first use: a fully cached re-count never needs it."""
        import splintr

        return splintr.Tokenizer.from_pretrained(self.name)

    @cached_property
    def reference(self) -> TiktokenTokenizer:
        """The stock tiktoken encoding, loaded only when a text needs it."""
        from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

        return TiktokenTokenizer.openai(self.name)

    def ids(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Exactly tiktoken's ``encode_ordinary`` (or ``encode(allowed_special="all")``)."""
        if allow_special:
            return self.reference._ids(text, True)
        try:
            return self._fast.encode_ordinary(text)
        except UnicodeEncodeError:  # lone surrogates
            return self.reference._ids(text, False)

    def count(self, text: str, *, allow_special: bool = False) -> int:
        if allow_special:
            return self.reference.count(text, allow_special=True)
        if _SPECIAL_MARK in text:
            return len(self.ids(text))
        try:
            return len(self._fast.encode_flat(text)) // _ID_BYTES
        except UnicodeEncodeError:
            return self.reference.count(text)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        plain = [t for t in texts if _SPECIAL_MARK not in t]
        if len(plain) < 2 or os.getpid() != _BATCHING_PID:
            return [self.count(t) for t in texts]
        try:
            ends = array("Q", self._fast.encode_batch_flat(plain)[1])  # ids before each row
        except UnicodeEncodeError:  # a lone surrogate somewhere in the batch
            return [self.count(t) for t in texts]
        counts = iter([end - start for start, end in zip(ends, ends[1:], strict=False)])
        return [self.count(t) if _SPECIAL_MARK in t else next(counts) for t in texts]

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        """Spans as tiktoken's backend builds them; ``tokenize`` need not load tiktoken."""
        if allow_special:
            return self.reference.encode(text, allow_special=True)
        try:
            ids = self._fast.encode_ordinary(text)
        except UnicodeEncodeError:
            return self.reference.encode(text)
        import numpy as np

        from ctxlab.core.spans import spans_from_byte_lengths
        from ctxlab.core.tokenizers.tiktoken_backend import byte_lengths

        array = np.asarray(ids, dtype=np.int64)
        return spans_from_byte_lengths(text, array, byte_lengths(array, self.token_bytes))

    def decode(self, ids: Sequence[int]) -> str:
        return self._fast.decode_bytes([int(i) for i in ids]).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        return self._fast.decode_token_bytes(int(token_id))

    def piece(self, token_id: int) -> str:
        return self.token_bytes(token_id).decode("utf-8", errors="backslashreplace")
