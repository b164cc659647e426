"""The inspector: everything about the token under the cursor or the mouse."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from ctxlab.core.spans import TokenSpans
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.tui.glyphs import describe_char, printable

if TYPE_CHECKING:
    from ctxlab.core.probes.surprisal import SurprisalMap

BYTE_FALLBACK = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def token_facts(spans: TokenSpans, tokenizer: str, index: int) -> list[tuple[str, str]]:
    """(label, value) rows describing token ``index`` of ``spans``."""
    tok = get_tokenizer(tokenizer, fetch=False)
    token_id = int(spans.ids[index])
    char_start, char_end = int(spans.char_start[index]), int(spans.char_end[index])
    byte_start, byte_end = int(spans.byte_start[index]), int(spans.byte_end[index])
    piece = tok.piece(token_id)
    raw = tok.token_bytes(token_id)
    rows = [
        ("token", f"{index + 1:,} of {len(spans):,}"),
        ("id", str(token_id)),
        ("text", repr(spans.token_text(index))),
        ("piece", f"'{piece}'"),  # already escaped where it is not text (b'\\xf0' pieces)
        ("bytes", raw.hex(" ") if raw else "(none: control token)"),
        ("chars", f"{char_start:,}–{char_end:,} ({char_end - char_start})"),
        ("byte span", f"{byte_start:,}–{byte_end:,} ({byte_end - byte_start})"),
        ("kind", _kind(spans, index, piece)),
    ]
    split_char = _split_char(spans, index)
    if split_char is not None:
        rows.append(("character", describe_char(spans.text[split_char])))
    return rows


def _split_char(spans: TokenSpans, index: int) -> int | None:
    """The character this token has only some bytes of (" 🇯" ends inside the flag's J)."""
    if not spans.split[index] or spans.char_end[index] <= spans.char_start[index]:
        return None
    last = int(spans.char_end[index]) - 1
    next_shares_it = index + 1 < len(spans) and spans.char_start[index + 1] <= last
    return last if next_shares_it else int(spans.char_start[index])


def loss_facts(surprisal: SurprisalMap, index: int) -> list[tuple[str, str]]:
    """The surprisal overlay's rows: the token's loss with full context and under the window."""
    full, windowed = float(surprisal.full[index]), float(surprisal.windowed[index])

    def nats(value: float, missing: str) -> str:
        return missing if math.isnan(value) else f"{value:.2f} nats"

    rows = [("full loss", nats(full, "none (first token)")),
            ("window loss", nats(windowed, "not scored"))]
    if not math.isnan(full - windowed):
        rise = windowed - full
        rows.append(("loss rise", f"{rise:+.2f} nats" + (" (forgotten)" if rise >= 1 else "")))
    return rows


def _kind(spans: TokenSpans, index: int, piece: str) -> str:
    if spans.special[index]:
        return "special token"
    if BYTE_FALLBACK.match(piece):
        return "byte-fallback piece (one raw UTF-8 byte)"
    char = _split_char(spans, index)
    if char is not None:
        sharing = int(((spans.char_start <= char) & (spans.char_end > char)).sum())
        return f"part of one character's bytes ({sharing} tokens share it)"
    return "ordinary"


def facts_content(title: str, facts: list[tuple[str, str]]) -> Content:
    """The inspector's text, styled without markup: token text like ``[/dim]`` stays text."""
    parts: list[str | tuple[str, str]] = [(printable(title), "bold"), "\n"]
    for label, value in facts:
        parts += ["\n", (f"{label:<12}", "dim"), " ", printable(value)]
    return Content.assemble(*parts)


class Inspector(Static):
    """Shows `token_facts` for the token the user points at."""

    DEFAULT_CSS = """
    Inspector { width: 38; height: 1fr; padding: 0 1; border-left: solid $primary-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual\'s name)
        super().__init__("Move the cursor (arrows) or the mouse over a token.", id=id)
        self.facts: list[tuple[str, str]] = []

    def show_token(self, spans: TokenSpans | None, tokenizer: str, index: int,
                   surprisal: SurprisalMap | None = None) -> None:
        if spans is None or not 0 <= index < len(spans):
            self.facts = []
            self.update("No token here.")
            return
        self.facts = token_facts(spans, tokenizer, index)
        if surprisal is not None:
            self.facts += loss_facts(surprisal, index)
        self.update(facts_content(tokenizer, self.facts))

    def fact(self, label: str) -> str | None:
        """The shown value for ``label`` (tests and lessons read the inspector through this)."""
        return dict(self.facts).get(label)
