"""Hugging Face ``tokenizers`` files: a local ``tokenizer.json`` or a hub id / HF cache."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ctxlab.core.spans import (
    TokenSpans,
    spans_from_byte_lengths,
    spans_from_byte_ranges,
    utf8_char_index,
)
from ctxlab.core.tokenizers.base import (
    FileFormat,
    TokenizerError,
    TokenizerInfo,
    check_model_file,
)
from ctxlab.core.tokenizers.pieces import piecewise_counts


def _bytes_to_unicode() -> dict[str, int]:
    """Inverse of GPT-2's byte-to-printable-glyph table (``Ġ`` is the space byte)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    glyphs = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            glyphs.append(256 + extra)
            extra += 1
    return {chr(g): b for b, g in zip(printable, glyphs, strict=True)}


_GLYPH_TO_BYTE = _bytes_to_unicode()


class HFTokenizer:
    """A ``tokenizers.Tokenizer``; spans from byte-level pieces when exact, else from offsets."""

    parallel_batches = False

    def __init__(self, tokenizer, info: TokenizerInfo) -> None:
        # Set once, not per call: a tokenizer.json may ship truncation or padding (which would
        # cut or pad what we count), and user text never parses "<|endoftext|>" as special.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        tokenizer.encode_special_tokens = True
        self._tok = tokenizer
        self.info = info
        self._special_ids = np.array(sorted(info.special_tokens.values()), dtype=np.int64)

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None, licence: str | None = None,
                  exact_for: tuple[str, ...] = ()) -> HFTokenizer:
        from tokenizers import Tokenizer

        path = Path(path)
        if path.is_dir():
            path = path / "tokenizer.json"
        check_model_file(path, "tokenizer.json")
        try:
            tok = Tokenizer.from_file(str(path))
        except BaseException as exc:  # Rust panics arrive as BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise TokenizerError(f"{path}: not a valid tokenizer.json ({detail})") from None
        return cls(tok, _info(tok, name or path.parent.name or path.stem, str(path), licence,
                              exact_for))

    @classmethod
    def from_hub(cls, repo_id: str) -> HFTokenizer:
        """Load from the local HF cache or, for online users, the hub."""
        from tokenizers import Tokenizer

        try:
            tok = Tokenizer.from_pretrained(repo_id)
        except Exception as exc:
            raise TokenizerError(
                f"could not load {repo_id!r} from the Hugging Face hub or cache "
                f"({type(exc).__name__}); pass a local tokenizer.json path instead"
            ) from None
        return cls(tok, _info(tok, repo_id, f"hf://{repo_id}", None, ()))

    @cached_property
    def _is_byte_level(self) -> bool:
        return "ByteLevel" in type(self._tok.decoder).__name__ if self._tok.decoder else False

    @cached_property
    def _byte_lengths(self) -> np.ndarray:
        """Byte length per id for byte-level vocabularies (added tokens count their text)."""
        vocab = self._tok.get_vocab(with_added_tokens=True)
        lengths = np.zeros(max(vocab.values()) + 1, dtype=np.int64)
        added = {t.content for t in self._tok.get_added_tokens_decoder().values()}
        for piece, token_id in vocab.items():
            if piece in added or any(ch not in _GLYPH_TO_BYTE for ch in piece):
                lengths[token_id] = len(piece.encode("utf-8"))
            else:
                lengths[token_id] = len(piece)
        return lengths

    @cached_property
    def _parsing_specials(self):
        """A copy that reads special-token text as the special token (``allow_special``)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_str(self._tok.to_str())
        tok.no_truncation()
        tok.no_padding()
        tok.encode_special_tokens = False
        return tok

    def _encoding(self, text: str, allow_special: bool):
        """One text through ``encode_batch``: the same tokens as ``encode``, but the Rust code
        runs with the GIL released, so a UI thread stays free while a worker tokenizes a book."""
        tok = self._parsing_specials if allow_special else self._tok
        return tok.encode_batch([text], add_special_tokens=False)[0]

    def _keeps_text(self, text: str) -> bool:
        """Do the byte-level pieces spell ``text`` itself? Not if a normalizer rewrote it
        (NFKC makes "¨" a space and a combining mark: as many bytes, other ones)."""
        normalizer = self._tok.normalizer
        return normalizer is None or normalizer.normalize_str(text) == text

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        enc = self._encoding(text, allow_special)
        ids = np.asarray(enc.ids, dtype=np.int64)
        special = np.isin(ids, self._special_ids)
        if self._is_byte_level and ids.size and self._keeps_text(text):
            lengths = self._byte_lengths[ids]
            if int(lengths.sum()) == len(text.encode("utf-8")):
                return spans_from_byte_lengths(text, ids, lengths, special)
        weights = self._byte_lengths[ids] if self._is_byte_level and ids.size else None
        return _spans_from_offsets(text, ids, enc.offsets, special, weights)

    def count(self, text: str, *, allow_special: bool = False) -> int:
        return _counts(self._parsing_specials if allow_special else self._tok, [text])[0]

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return _counts(self._tok, texts)

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=False)

    def token_bytes(self, token_id: int) -> bytes:
        piece = self.piece(token_id)
        if self._is_byte_level and all(ch in _GLYPH_TO_BYTE for ch in piece):
            return bytes(_GLYPH_TO_BYTE[ch] for ch in piece)
        return self.decode([token_id]).encode("utf-8")

    def piece(self, token_id: int) -> str:
        return self._tok.id_to_token(int(token_id)) or ""


def _counts(tok, texts: Sequence[str]) -> list[int]:
    """Counts of long texts a piece at a time; each group of pieces is one ``encode_batch``,
    which releases the GIL and spreads the group over the cores."""
    def encode(batch: list[str]) -> list:
        return tok.encode_batch(batch, add_special_tokens=False)

    return piecewise_counts(texts, lambda batch: [e.ids for e in encode(batch)],
                            lambda batch: [len(e) for e in encode(batch)])


def _info(tok, name: str, source: str, licence: str | None, exact_for: tuple[str, ...]):
    import tokenizers

    specials = {t.content: i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    return TokenizerInfo(
        name=name, family="huggingface", vocab_size=tok.get_vocab_size(with_added_tokens=True),
        special_tokens=specials, source=source, licence=licence,
        library=f"tokenizers {tokenizers.__version__}", exact_for=exact_for,
    )


def _spans_from_offsets(text: str, ids: np.ndarray, offsets, special: np.ndarray,
                        weights: np.ndarray | None = None) -> TokenSpans:
    """Char offsets -> byte spans, for normalizing tokenizers (NFKC etc.).

    Tokens whose offsets overlap came from the same characters (byte-level pieces of
    one emoji): such a cluster's bytes are shared out in order, by each token's byte
    length (``weights``) when known, so every token covers bytes of its own and tokens
    inside a character are marked split. Clusters are extended to the next one's start,
    so characters the normalizer dropped still belong to a token and spans tile the text.
    """
    data = text.encode("utf-8")
    _, char_bytes = utf8_char_index(data)
    n = len(ids)
    if n == 0:
        return spans_from_byte_ranges(text, data, ids, np.zeros(0, np.int64),
                                      np.zeros(0, np.int64), special)
    pairs = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)[:n]
    starts = np.maximum.accumulate(pairs[:, 0])
    ends = np.maximum(pairs[:, 1], starts)
    reach = np.maximum.accumulate(ends)  # the furthest char any token so far came from
    first = np.ones(n, dtype=bool)
    first[1:] = starts[1:] >= reach[:-1]  # a token overlapping no earlier one starts a cluster
    cluster = np.cumsum(first) - 1
    cluster_start = starts[first]
    cluster_start[0] = 0
    cluster_end = np.append(cluster_start[1:], len(text))
    low, high = char_bytes[cluster_start], char_bytes[cluster_end]
    weight = np.ones(n, np.int64) if weights is None else np.maximum(weights, 1)
    reached = np.cumsum(weight)
    before = (reached - weight)[first]  # weight of all earlier clusters
    share = reached - before[cluster]
    total = share[np.flatnonzero(np.append(first[1:], True))]  # each cluster's whole weight
    low, high, total = low[cluster], high[cluster], total[cluster]
    byte_end = low + (share * (high - low) + total // 2) // total
    # At least one byte each where the cluster has enough (NFKC makes "¼" three tokens).
    heads = np.flatnonzero(first)
    place = np.arange(n) - heads[cluster]
    after = np.diff(np.append(heads, n))[cluster] - 1 - place  # tokens after it in its cluster
    rising = np.maximum.accumulate(np.maximum(byte_end, low + 1 + place) - place) + place
    byte_end = np.maximum(np.minimum(rising, high - after), low)
    byte_start = np.append(0, byte_end[:-1])
    return spans_from_byte_ranges(text, data, ids, byte_start, byte_end, special)


FILE_FORMAT = FileFormat("tokenizer.json", lambda path: path.suffix.lower() == ".json",
                         lambda path: HFTokenizer.from_file(path))
