"""The document and what has been derived from it, owned by the UI thread.

The text is the source of truth: switching tokenizers, resizing, or a failed
tokenizer never touches it, and every derived result is tagged with the
version it belongs to so late results for old text are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ctxlab.core.documents import Decoding
from ctxlab.core.model import DEFAULT_MODEL
from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import CellMetrics, TextLayout
from ctxlab.tui.analysis import AnalysisRequest

if TYPE_CHECKING:
    from ctxlab.core.local_models import ModelChoice
    from ctxlab.core.probes.surprisal import SurprisalMap


@dataclass
class Document:
    text: str = ""
    name: str = "untitled"
    path: Path | None = None
    version: int = 0
    unsaved: bool = False  # typed or pasted into since it was opened or saved
    decoding: Decoding = Decoding()  # how the source's bytes were read (lossy: U+FFFD inside)


@dataclass
class Session:
    tokenizer: str  # the token view's and the truncation's tokenizer
    compare: list[str]  # the compare tab's tokenizers
    model: ModelChoice  # the local model that recall and the surprisal overlay run
    window_tokenizers: tuple[str, ...] = ()
    allow_special: bool = False
    document: Document = field(default_factory=Document)
    metrics: CellMetrics | None = None
    layout: TextLayout | None = None
    spans: dict[str, TokenSpans] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    surprisal: SurprisalMap | None = None  # the overlay's losses, in the model's own tokens
    overlay_model: ModelChoice | None = None  # the model that scored the overlay
    _words: tuple[int, int] | None = None  # (version, count)

    def replace_text(self, text: str, name: str | None = None, path: Path | None = None,
                     decoding: Decoding | None = None) -> None:
        """New text: everything derived is stale. Without a ``name`` it is an edit of the
        document (unsaved; same path and decoding); with one it is a new document."""
        doc = self.document
        if name:
            self.document = Document(text, name, path, doc.version + 1,
                                     decoding=decoding or Decoding())
        else:
            self.document = Document(text, doc.name, doc.path, doc.version + 1, unsaved=True,
                                     decoding=doc.decoding)
        self.metrics = self.layout = None
        self.surprisal = None
        self.forget_tokens()

    def forget_tokens(self) -> None:
        """Tokens are stale (e.g. special-token parsing changed) but cell metrics are not."""
        self.spans, self.counts, self.errors = {}, {}, {}

    def wanted(self) -> tuple[str, ...]:
        """Tokenizers whose spans the screens need, the token view's first."""
        return tuple(dict.fromkeys([self.tokenizer, *self.compare]))

    def request(self, wrap_width: int, with_counts: bool = True) -> AnalysisRequest:
        """What the worker must still compute for the current text (the windows' counts only
        ``with_counts``: recounting a book with every window's tokenizer per key is seconds)."""
        doc = self.document
        missing_counts = tuple(n for n in dict.fromkeys(self.window_tokenizers)
                               if with_counts and n not in self.counts)
        return AnalysisRequest(
            version=doc.version, text=doc.text, tokenizers=self.wanted(),
            count_only=missing_counts, allow_special=self.allow_special,
            wrap_width=wrap_width, known=tuple(self.spans.items()),
            measured=self.metrics is not None,
        )

    def words(self) -> int:
        """Whitespace-separated words (the denominator of tokens/word), once per version."""
        version = self.document.version
        if self._words is None or self._words[0] != version:
            self._words = (version, len(self.document.text.split()))
        return self._words[1]

    def summary(self, editing: bool) -> str:
        """The status line: the document, its tokens, and what is switched on."""
        doc, spans = self.document, self.spans.get(self.tokenizer)
        tokens = f"{len(spans):,} tokens" if spans is not None else "tokenizing…"
        if self.tokenizer in self.errors:
            tokens = "failed (see notification)"
        parts = [doc.name, f"{len(doc.text):,} chars", f"{self.tokenizer}: {tokens}"]
        if doc.decoding.lossy:
            parts.append("lossy UTF-8 (U+FFFD)")
        if self.allow_special:
            parts.append("specials parsed")
        if self.surprisal is not None and self.overlay_model is not None:
            parts.append(f"overlay: {self.overlay_model.name}'s {len(self.surprisal.spans):,} "
                         "tokens")
        elif self.model.name != DEFAULT_MODEL:  # the default goes unsaid, as in the CLI
            parts.append(f"model: {self.model.name}")
        parts.append("EDIT" if editing else "VIEW")
        return " · ".join(parts)
