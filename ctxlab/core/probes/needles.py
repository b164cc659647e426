"""Needle facts and haystack documents: place a fact at a depth or a distance, in tokens.

Documents are built as text (a fact inserted at a sentence end) and encoded
whole, so what the model reads is an ordinary document; sizes are measured in
the model's own tokens.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ctxlab.core.errors import ProbeError
from ctxlab.core.spans import TokenSpans
from ctxlab.core.tokenizers.base import Tokenizer

SENTENCE_SEARCH = 48  # tokens to look back for a sentence end before giving up


@dataclass(frozen=True)
class Needle:
    id: str
    fact: str
    question: str
    answer: str


MAX_PROBE_FILE_BYTES = 16 << 20  # far beyond any window the local models have


def needles_dir() -> Path:
    from ctxlab.core.samples import samples_dir

    return samples_dir() / "needles"


def load_needles(path: str | Path | None = None) -> list[Needle]:
    """``[[needle]]`` tables (id, fact, question, answer) from a TOML file (default: bundled)."""
    path = Path(path) if path else needles_dir() / "needles.toml"
    try:
        tables = tomllib.loads(_read(path)).get("needle", [])
    except tomllib.TOMLDecodeError as exc:
        raise ProbeError(f"{path}: not a needles file ({exc})") from None
    if not isinstance(tables, list) or not tables:
        raise ProbeError(f"{path}: no [[needle]] tables (each needs fact, question, answer)")
    needles = []
    for i, table in enumerate(tables):
        row = table if isinstance(table, dict) else {}
        fields = [str(row.get(key, "")).strip() for key in ("fact", "question", "answer")]
        if not all(fields):
            raise ProbeError(f"{path}: needle {i + 1} needs text for fact, question and answer")
        needles.append(Needle(str(row.get("id", i)), *fields))
    return needles


def load_haystack(path: str | Path | None = None) -> str:
    return _read(Path(path) if path else needles_dir() / "haystack.md")


def _read(path: Path) -> str:
    """A user's needles or haystack file as text, bounded; anything else is one ``ProbeError``."""
    from ctxlab.core.textfile import read_text_file

    found = read_text_file(path, max_bytes=MAX_PROBE_FILE_BYTES)
    if not found.counted:
        raise ProbeError(f"{path}: {found.status}{': ' + found.detail if found.detail else ''}")
    return found.text


class Haystack:
    """Filler text, tokenized once, long enough for any requested length (repeated if needed)."""

    def __init__(self, text: str, tokenizer: Tokenizer, min_tokens: int) -> None:
        if not text.strip():
            raise ProbeError("the haystack text is empty")
        self.tokenizer = tokenizer
        base = text.strip()
        spans = tokenizer.encode(base)
        copies = max(1, -(-(min_tokens + SENTENCE_SEARCH) // max(len(spans), 1)))
        self.text = "\n\n".join([base] * copies)
        self.spans: TokenSpans = tokenizer.encode(self.text) if copies > 1 else spans

    def _char_at(self, token: int) -> int:
        """Char offset where token ``token`` starts (the end of the text past the last)."""
        if token >= len(self.spans):
            return len(self.text)
        return int(self.spans.char_start[token])

    def _sentence_end(self, token: int) -> int:
        """The nearest token boundary at or before ``token`` that follows a sentence end."""
        for t in range(token, max(token - SENTENCE_SEARCH, 0), -1):
            if self.text[int(self.spans.char_end[t - 1]) - 1] in ".!?\n":
                return t
        return token

    def document(self, fact: str, before: int, after: int) -> str:
        """``before`` filler tokens (snapped back to a sentence end), ``fact``, ``after`` more."""
        cut = self._sentence_end(before) if before > 0 else 0
        c, end = self._char_at(cut), self._char_at(cut + after)
        left = "" if c == 0 or self.text[c - 1].isspace() else " "
        right = "" if end == c or self.text[c].isspace() else " "
        return self.text[:c] + left + fact + right + self.text[c:end]

    def filler(self, length: int) -> str:
        """About ``length`` tokens of filler and no fact: the no-needle baseline's document."""
        return self.text[: self._char_at(self._sentence_end(length))]

    def at_depth(self, fact: str, depth: float, length: int) -> str:
        """A document of about ``length`` tokens with ``fact`` at ``depth`` (0 = start, 1 = end)."""
        filler = max(length - self.tokenizer.count(" " + fact), 0)
        before = round(depth * filler)
        cut = self._sentence_end(before) if before > 0 else 0
        return self.document(fact, cut, filler - cut)
