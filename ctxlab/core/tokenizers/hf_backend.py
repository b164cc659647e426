"""Hugging Face ``tokenizers`` files: a local ``tokenizer.json`` or a hub id / HF cache."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ctxlab.core.spans import TokenSpans, spans_from_byte_lengths, spans_from_byte_ranges
from ctxlab.core.tokenizers.base import TokenizerError, TokenizerInfo


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
        try:
            tok = Tokenizer.from_file(str(path))
        except Exception as exc:
            raise TokenizerError(f"{path}: not a valid tokenizer.json ({exc})") from None
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
        tok = self._parsing_specials if allow_special else self._tok
        return tok.encode(text, add_special_tokens=False)

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        enc = self._encoding(text, allow_special)
        ids = np.asarray(enc.ids, dtype=np.int64)
        special = np.isin(ids, self._special_ids)
        if self._is_byte_level and ids.size:
            lengths = self._byte_lengths[ids]
            if int(lengths.sum()) == len(text.encode("utf-8")):
                return spans_from_byte_lengths(text, ids, lengths, special)
        return _spans_from_offsets(text, ids, enc.offsets, special)

    def count(self, text: str, *, allow_special: bool = False) -> int:
        return len(self._encoding(text, allow_special).ids)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=False)

    def token_bytes(self, token_id: int) -> bytes:
        piece = self.piece(token_id)
        if self._is_byte_level and all(ch in _GLYPH_TO_BYTE for ch in piece):
            return bytes(_GLYPH_TO_BYTE[ch] for ch in piece)
        return self.decode([token_id]).encode("utf-8")

    def piece(self, token_id: int) -> str:
        return self._tok.id_to_token(int(token_id)) or ""


def _info(tok, name: str, source: str, licence: str | None, exact_for: tuple[str, ...]):
    import tokenizers

    specials = {t.content: i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    return TokenizerInfo(
        name=name, family="huggingface", vocab_size=tok.get_vocab_size(with_added_tokens=True),
        special_tokens=specials, source=source, licence=licence,
        library=f"tokenizers {tokenizers.__version__}", exact_for=exact_for,
    )


def _spans_from_offsets(text: str, ids: np.ndarray, offsets, special: np.ndarray) -> TokenSpans:
    """Char offsets -> byte spans, for normalizing tokenizers (NFKC etc.).

    Offsets can leave gaps (characters the normalizer dropped) and repeat a
    char for tokens that split it; we extend each token to the next one's start
    so spans tile the text, and give tokens sharing a char the same byte span.
    """
    data = text.encode("utf-8")
    char_bytes = np.zeros(len(text) + 1, dtype=np.int64)
    if text:
        char_bytes[1:] = np.cumsum([len(ch.encode("utf-8")) for ch in text])
    starts = np.array([s for s, _ in offsets] or [0], dtype=np.int64)[: len(ids)]
    starts = np.maximum.accumulate(starts) if starts.size else starts
    if starts.size:
        starts[0] = 0
    ends = np.append(starts[1:], len(text))
    ends = np.maximum(ends, starts)
    return spans_from_byte_ranges(text, data, ids, char_bytes[starts], char_bytes[ends], special)
