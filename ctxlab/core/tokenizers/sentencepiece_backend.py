"""SentencePiece ``.model`` files (Llama/Mistral style, with byte fallback)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ctxlab.core.spans import TokenSpans, spans_from_byte_ranges
from ctxlab.core.tokenizers.base import TokenizerError, TokenizerInfo


class SentencePieceTokenizer:
    """Spans from SentencePiece's own byte offsets; byte-fallback runs get one byte each."""

    def __init__(self, path: str | Path, *, name: str | None = None, licence: str | None = None,
                 exact_for: tuple[str, ...] = ()) -> None:
        import sentencepiece as spm

        path = Path(path)
        try:
            self._sp = spm.SentencePieceProcessor(model_file=str(path))
        except Exception as exc:
            raise TokenizerError(f"{path}: not a valid SentencePiece model ({exc})") from None
        controls = {
            self._sp.id_to_piece(i): i
            for i in range(self._sp.get_piece_size())
            if self._sp.is_control(i) or self._sp.is_unknown(i)
        }
        self._special_ids = np.array(sorted(controls.values()), dtype=np.int64)
        self.info = TokenizerInfo(
            name=name or path.stem, family="sentencepiece", vocab_size=self._sp.get_piece_size(),
            special_tokens=controls, source=str(path), licence=licence,
            library=f"sentencepiece {spm.__version__}", exact_for=exact_for,
        )

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        # SentencePiece never parses control-token strings out of text, so allow_special is moot.
        pieces = self._sp.encode(text, out_type="proto").pieces
        n = len(pieces)
        ids = np.empty(n, dtype=np.int64)
        byte_start = np.empty(n, dtype=np.int64)
        byte_end = np.empty(n, dtype=np.int64)
        pending: list[int] = []  # byte-fallback pieces waiting for the one that closes the char
        for i, p in enumerate(pieces):
            ids[i], byte_start[i], byte_end[i] = p.id, p.begin, p.end
            if self._sp.is_byte(p.id):
                pending.append(i)
                if p.end > p.begin:
                    for k, j in enumerate(pending):
                        byte_start[j] = p.begin + k
                        byte_end[j] = min(p.begin + k + 1, p.end) if j != i else p.end
                    pending.clear()
        return spans_from_byte_ranges(
            text, text.encode("utf-8"), ids, byte_start, byte_end, np.isin(ids, self._special_ids)
        )

    def count(self, text: str, *, allow_special: bool = False) -> int:
        return len(self._sp.encode(text))

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self._sp.encode(list(texts))]

    def decode(self, ids: Sequence[int]) -> str:
        return self._sp.decode([int(i) for i in ids])

    def token_bytes(self, token_id: int) -> bytes:
        token_id = int(token_id)
        if self._sp.is_byte(token_id):
            return bytes([int(self._sp.id_to_piece(token_id)[3:5], 16)])
        if self._sp.is_control(token_id):
            return b""
        return self._sp.id_to_piece(token_id).replace("\u2581", " ").encode("utf-8")

    def piece(self, token_id: int) -> str:
        return self._sp.id_to_piece(int(token_id))
