"""SentencePiece models (Llama/Mistral/Gemma style, with byte fallback)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ctxlab.core.spans import TokenSpans, spans_from_byte_ranges
from ctxlab.core.tokenizers.base import (
    FileFormat,
    TokenizerError,
    TokenizerInfo,
    check_model_file,
)
from ctxlab.core.tokenizers.pieces import piecewise_counts


class SentencePieceTokenizer:
    """Spans from SentencePiece's own byte offsets; byte-fallback runs get one byte each.

    SentencePiece never reads control tokens out of text; with ``allow_special``
    the text is first cut at control-token strings (``<start_of_turn>``,
    ``[INST]``), the way chat templates mean them.
    """

    parallel_batches = False

    def __init__(self, path: str | Path, *, name: str | None = None, licence: str | None = None,
                 exact_for: tuple[str, ...] = (), model_proto: bytes | None = None) -> None:
        import sentencepiece as spm

        path = Path(path)
        check_model_file(path, "SentencePiece model")
        try:
            if model_proto is not None:
                self._sp = spm.SentencePieceProcessor(model_proto=model_proto)
            else:
                self._sp = spm.SentencePieceProcessor(model_file=str(path))
        except Exception as exc:
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise TokenizerError(f"{path}: not a valid SentencePiece model ({detail})") from None
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

    @cached_property
    def _control_pattern(self) -> re.Pattern | None:
        strings = sorted((p for p in self.info.special_tokens if p), key=len, reverse=True)
        return re.compile("|".join(map(re.escape, strings))) if strings else None

    def _fragments(self, text: str, allow_special: bool) -> list[tuple[str, bool]]:
        """``text`` as (piece, is_control) runs; one ordinary run unless specials are allowed."""
        if not allow_special or self._control_pattern is None:
            return [(text, False)]
        runs, pos = [], 0
        for match in self._control_pattern.finditer(text):
            if match.start() > pos:
                runs.append((text[pos:match.start()], False))
            runs.append((match.group(), True))
            pos = match.end()
        if pos < len(text) or not runs:
            runs.append((text[pos:], False))
        return runs

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        ids: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        offset = 0
        for run, is_control in self._fragments(text, allow_special):
            size = len(run.encode("utf-8"))
            if is_control:
                ids.append(self.info.special_tokens[run])
                starts.append(offset)
                ends.append(offset + size)
            else:
                self._encode_run(run, offset, ids, starts, ends)
            offset += size
        id_array = np.asarray(ids, dtype=np.int64)
        return spans_from_byte_ranges(
            text, text.encode("utf-8"), id_array, np.asarray(starts, dtype=np.int64),
            np.asarray(ends, dtype=np.int64), np.isin(id_array, self._special_ids))

    def _encode_run(self, run: str, offset: int, ids: list[int], starts: list[int],
                    ends: list[int]) -> None:
        pending: list[int] = []  # byte-fallback pieces waiting for the one that closes the char
        for p in self._sp.encode(run, out_type="proto").pieces:
            ids.append(p.id)
            starts.append(offset + p.begin)
            ends.append(offset + p.end)
            if self._sp.is_byte(p.id):
                pending.append(len(ids) - 1)
                if p.end > p.begin:
                    last = len(ids) - 1
                    for k, j in enumerate(pending):
                        starts[j] = offset + p.begin + k
                        ends[j] = (offset + min(p.begin + k + 1, p.end) if j != last
                                   else offset + p.end)
                    pending.clear()

    def count(self, text: str, *, allow_special: bool = False) -> int:
        runs = self._fragments(text, allow_special)
        return sum(self.count_batch([run for run, is_control in runs if not is_control])) + sum(
            is_control for _, is_control in runs)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return piecewise_counts(texts, self._sp.encode,
                                lambda batch: [len(ids) for ids in self._sp.encode(batch)],
                                lambda text: len(self._sp.encode(text)))

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


FILE_FORMAT = FileFormat(
    "*.model", lambda path: path.suffix.lower() == ".model" or path.name.startswith(
        "tokenizer.model"), lambda path: SentencePieceTokenizer(path))
