"""One tokenized text: ids plus the exact characters and bytes each token covers.

Every backend reduces to the same record so the CLI, the TUI and the model code
never care which library produced the tokens. Arrays (not lists of objects)
keep a 1 MB document's 250k tokens cheap to hold and slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class TokenSpans:
    """Token ids of ``text`` and, per token, its char and UTF-8 byte span.

    ``split`` marks tokens that cover only part of one character's bytes (a
    multi-byte character spread over several byte-level or byte-fallback
    tokens). Such tokens share that character in their char span; their byte
    spans never overlap. ``special`` marks special/control tokens.
    """

    text: str
    ids: np.ndarray
    char_start: np.ndarray
    char_end: np.ndarray
    byte_start: np.ndarray
    byte_end: np.ndarray
    split: np.ndarray
    special: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def token_text(self, i: int) -> str:
        """The slice of the original text token ``i`` covers (never a U+FFFD glyph)."""
        return self.text[int(self.char_start[i]) : int(self.char_end[i])]

    def token_index_at_char(self, char: int) -> int:
        """Index of the first token whose char span contains ``char`` (-1 if none)."""
        i = int(np.searchsorted(self.char_end, char, side="right"))
        if i < len(self) and self.char_start[i] <= char < self.char_end[i]:
            return i
        return -1

    def to_records(self) -> list[dict]:
        """Plain dicts for JSON output (id, text, char and byte spans, flags)."""
        return [
            {
                "id": int(self.ids[i]),
                "text": self.token_text(i),
                "chars": [int(self.char_start[i]), int(self.char_end[i])],
                "bytes": [int(self.byte_start[i]), int(self.byte_end[i])],
                "split": bool(self.split[i]),
                "special": bool(self.special[i]),
            }
            for i in range(len(self))
        ]


def utf8_char_index(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """For UTF-8 ``data``: the char index of every byte, and byte offset of every char.

    The second array has one extra entry, ``len(data)``, so char ``c`` spans
    bytes ``[starts[c], starts[c + 1])``.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    is_start = (raw & 0xC0) != 0x80
    char_of_byte = np.cumsum(is_start, dtype=np.int64) - 1
    starts = np.flatnonzero(is_start).astype(np.int64)
    return char_of_byte, np.append(starts, np.int64(len(data)))


def spans_from_byte_lengths(
    text: str,
    ids: np.ndarray | list[int],
    byte_lengths: np.ndarray | list[int],
    special: np.ndarray | None = None,
) -> TokenSpans:
    """Build spans when each token's byte length is known and they concatenate to ``text``.

    This is the exact path for byte-level BPE (tiktoken, GPT-2-style HF files,
    GGUF BPE): token bytes tile the UTF-8 encoding, so char spans follow.
    """
    data = text.encode("utf-8")
    lengths = np.asarray(byte_lengths, dtype=np.int64)
    byte_end = np.cumsum(lengths, dtype=np.int64)
    if byte_end.size and int(byte_end[-1]) != len(data):
        raise ValueError(
            f"token bytes sum to {int(byte_end[-1])} but the text has {len(data)} bytes"
        )
    byte_start = byte_end - lengths
    return spans_from_byte_ranges(text, data, ids, byte_start, byte_end, special)


def spans_from_byte_ranges(
    text: str,
    data: bytes,
    ids: np.ndarray | list[int],
    byte_start: np.ndarray,
    byte_end: np.ndarray,
    special: np.ndarray | None = None,
) -> TokenSpans:
    """Derive char spans and split flags from byte spans over ``data`` (``text`` in UTF-8)."""
    ids_arr = np.asarray(ids, dtype=np.int64)
    n = ids_arr.shape[0]
    byte_start = np.asarray(byte_start, dtype=np.int64)
    byte_end = np.asarray(byte_end, dtype=np.int64)
    char_of_byte, char_starts = utf8_char_index(data)
    if len(data) == 0:
        zeros = np.zeros(n, dtype=np.int64)
        return TokenSpans(
            text, ids_arr, zeros, zeros.copy(), byte_start, byte_end,
            np.zeros(n, dtype=bool), _flags(special, n),
        )
    total = len(data)
    # A zero-width token (e.g. SentencePiece's dummy prefix) sits at its start char.
    clamped_start = np.minimum(byte_start, total - 1)
    char_start = np.where(byte_start >= total, len(text), char_of_byte[clamped_start])
    last_byte = np.clip(byte_end - 1, 0, total - 1)
    char_end = np.where(byte_end > byte_start, char_of_byte[last_byte] + 1, char_start)
    starts_on_boundary = char_starts[np.minimum(char_start, len(char_starts) - 1)] == byte_start
    ends_on_boundary = char_starts[np.minimum(char_end, len(char_starts) - 1)] == byte_end
    split = (byte_end > byte_start) & ~(starts_on_boundary & ends_on_boundary)
    return TokenSpans(
        text, ids_arr, char_start.astype(np.int64), char_end.astype(np.int64),
        byte_start, byte_end, split, _flags(special, n),
    )


def _flags(special: np.ndarray | None, n: int) -> np.ndarray:
    if special is None:
        return np.zeros(n, dtype=bool)
    return np.asarray(special, dtype=bool)
