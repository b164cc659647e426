"""Messages workers post to the UI thread (the only thread that touches widgets).

Results for the document carry the version they were computed for, so results for text
the user has since edited are dropped on arrival.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import CellMetrics, TextLayout

if TYPE_CHECKING:  # the model code loads only when a model feature is used
    from ctxlab.core.local_models import ModelChoice
    from ctxlab.core.probes.surprisal import SurprisalMap


class AnalysisMessage(Message):
    def __init__(self, version: int) -> None:
        super().__init__()
        self.version = version


class DocumentMeasured(AnalysisMessage):
    """Cell widths of the text are known, and its rows at the token view's width."""

    def __init__(self, version: int, metrics: CellMetrics, layout: TextLayout | None) -> None:
        super().__init__(version)
        self.metrics, self.layout = metrics, layout


class TokensReady(AnalysisMessage):
    """One tokenizer has split the text."""

    def __init__(self, version: int, tokenizer: str, spans: TokenSpans, seconds: float) -> None:
        super().__init__(version)
        self.tokenizer, self.spans, self.seconds = tokenizer, spans, seconds


class CountsReady(AnalysisMessage):
    """Token counts with the tokenizers the context windows use."""

    def __init__(self, version: int, counts: dict[str, int]) -> None:
        super().__init__(version)
        self.counts = counts


class TokenizerFailed(AnalysisMessage):
    """A tokenizer could not load or encode the text; shown as a notification."""

    def __init__(self, version: int, tokenizer: str, error: str) -> None:
        super().__init__(version)
        self.tokenizer, self.error = tokenizer, error


class AnalysisProgress(AnalysisMessage):
    """How far the worker is; a newer one replaces an unprocessed older one."""

    def __init__(self, version: int, done: int, total: int, label: str) -> None:
        super().__init__(version)
        self.done, self.total, self.label = done, total, label

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AnalysisProgress)


class ModelProgress(Message):
    """What a local-model worker is doing (fetching, loading, scoring); newer replaces older."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ModelProgress)


class SurprisalReady(AnalysisMessage):
    """Per-token losses of the document (of its start, if longer than the cap: ``total`` chars)
    by ``model``."""

    def __init__(self, version: int, surprisal: SurprisalMap, total: int,
                 model: ModelChoice) -> None:
        super().__init__(version)
        self.surprisal, self.total, self.model = surprisal, total, model


class ModelChosen(Message):
    """The user picked the session's local model (by its ``--model`` name) in a panel."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
