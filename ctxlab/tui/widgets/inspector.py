"""The inspector: everything about the token under the cursor or the mouse.

The TUI tokenizes in a helper process, so this process may not hold the
vocabulary the spans came from, and loading one would hold the GIL for up to
0.7 s (o200k's ranks, deepseek's JSON). So the inspector shows what the spans
know at once, and the piece and bytes when a worker has asked the helper.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np
from textual.content import Content
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ctxlab.core.spans import TokenSpans
from ctxlab.core.tokenizers import loaded_tokenizer
from ctxlab.core.tokenizers.elsewhere import ElsewhereTokenizer
from ctxlab.tui.analysis import failure_reason
from ctxlab.tui.glyphs import describe_char, printable

if TYPE_CHECKING:
    from ctxlab.core.probes.surprisal import SurprisalMap

BYTE_FALLBACK = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
LOADING = "(loading the vocabulary…)"
NEARBY = 256  # tokens each side of the cursor whose pieces one lookup fetches too


Vocab = tuple[str, bytes]  # a token's piece and bytes, from its tokenizer's vocabulary


def token_facts(spans: TokenSpans, index: int, vocab: Vocab | None) -> list[tuple[str, str]]:
    """(label, value) rows describing token ``index`` of ``spans``.

    With ``vocab`` None (not looked up yet) the piece and bytes say so.
    """
    token_id = int(spans.ids[index])
    char_start, char_end = int(spans.char_start[index]), int(spans.char_end[index])
    byte_start, byte_end = int(spans.byte_start[index]), int(spans.byte_end[index])
    piece, raw = vocab if vocab is not None else (None, None)
    rows = [
        ("token", f"{index + 1:,} of {len(spans):,}"),
        ("id", str(token_id)),
        ("text", repr(spans.token_text(index))),
        # a piece is already escaped where it is not text (b'\\xf0' pieces)
        ("piece", LOADING if piece is None else f"'{piece}'"),
        ("bytes", LOADING if vocab is None else raw.hex(" ") if raw else "(none: control token)"),
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


def _kind(spans: TokenSpans, index: int, piece: str | None) -> str:
    if spans.special[index]:
        return "special token"
    if piece is not None and BYTE_FALLBACK.match(piece):
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

    HINT = "Move the cursor (arrows) or the mouse over a token."  # none is picked yet

    DEFAULT_CSS = """
    Inspector { width: 38; height: 1fr; padding: 0 1; border-left: solid $primary-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual\'s name)
        super().__init__(self.HINT, id=id)
        self.facts: list[tuple[str, str]] = []
        self._shown: tuple[TokenSpans, str, int, SurprisalMap | None] | None = None
        self._looked_up: dict[tuple[str, int], Vocab | str] = {}
        self._wanted: tuple[str, list[int]] | None = None  # the first id is the one on show

    def show_token(self, spans: TokenSpans | None, tokenizer: str, index: int,
                   surprisal: SurprisalMap | None = None) -> None:
        if spans is None or not 0 <= index < len(spans):
            self._shown = None
            self.facts = []
            self.update(self.HINT, layout=False)
            return
        self._shown = (spans, tokenizer, index, surprisal)
        vocab = self._vocab(spans, tokenizer, index)
        self.facts = token_facts(spans, index, None if isinstance(vocab, str) else vocab)
        if isinstance(vocab, str):  # the lookup failed: say why where the piece would be
            self.facts = [(label, vocab if value == LOADING else value)
                          for label, value in self.facts]
        if surprisal is not None:
            self.facts += loss_facts(surprisal, index)
        self.update(facts_content(tokenizer, self.facts), layout=False)  # its size is fixed

    def _vocab(self, spans: TokenSpans, tokenizer: str, index: int) -> Vocab | str | None:
        """The piece and bytes if known here, a reason if they cannot be, else None (and a
        worker asks the helper process, for this token and the ones around it)."""
        token_id = int(spans.ids[index])
        here = loaded_tokenizer(tokenizer)
        if here is not None:
            return here.piece(token_id), here.token_bytes(token_id)
        key = (tokenizer, token_id)
        if key not in self._looked_up:
            nearby = np.unique(spans.ids[max(0, index - NEARBY):index + NEARBY]).tolist()
            self._wanted = (tokenizer, [token_id, *(i for i in nearby if i != token_id and (
                tokenizer, i) not in self._looked_up)])
            if not any(w.group == "vocabulary" and w.is_running for w in self.workers):
                self.run_worker(self._look_up_wanted, thread=True, group="vocabulary")
        return self._looked_up.get(key)

    def _look_up_wanted(self) -> None:
        """Ask the helper about the newest token wanted until it is known: one worker, one
        question at a time, however fast the keys come while the helper is busy."""
        while (wanted := self._wanted) is not None and (
                wanted[0], wanted[1][0]) not in self._looked_up:
            tokenizer, ids = wanted
            try:
                for token_id, vocab in zip(ids, ElsewhereTokenizer(tokenizer).pieces(ids),
                                           strict=True):
                    self._looked_up[(tokenizer, token_id)] = vocab
            except Exception as exc:  # an unknown or broken tokenizer is shown, never fatal
                self._looked_up[(tokenizer, ids[0])] = (
                    f"(vocabulary not loaded: {failure_reason(exc)})")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Lookups came back: redraw the token on show (which asks again if it moved on)."""
        if (event.worker.group == "vocabulary" and event.state == WorkerState.SUCCESS
                and self._shown is not None):
            self.show_token(*self._shown)

    def fact(self, label: str) -> str | None:
        """The shown value for ``label`` (tests and lessons read the inspector through this)."""
        return dict(self.facts).get(label)
