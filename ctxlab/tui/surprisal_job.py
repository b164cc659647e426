"""The surprisal overlay's plain logic: what to score, under which window, and its legend.

No widgets here: the Tokens tab's worker calls ``score_start``. Only the start
of a long document is scored (two forward passes of the local model each), and
a window that holds every scored token would show nothing after a long wait,
so a smaller one is chosen and the user is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.content import Content

from ctxlab.tui.token_styles import HEAT, HEAT_LABELS, UNSCORED_FG

if TYPE_CHECKING:
    from ctxlab.core.model.loader import LocalModel
    from ctxlab.core.probes.context import Strategy
    from ctxlab.core.probes.surprisal import SurprisalMap

SURPRISAL_MAX_TOKENS = 2048  # longer documents: only their start is scored (two passes each)
FORGETTING_SHARE = 4  # a window that holds everything shows nothing: use 1/4 of the tokens


def window_that_forgets(strategy: Strategy, tokens: int) -> tuple[Strategy, str | None]:
    """``strategy``, or the same with a window of a quarter of ``tokens`` when its own window
    would hold them all (the default budget did); the second value says so for the user."""
    if strategy.window is None or strategy.window < tokens or tokens < 2 * FORGETTING_SHARE:
        return strategy, None
    window = tokens // FORGETTING_SHARE
    note = (f"Truncate's budget ({strategy.window:,}) holds all {tokens:,} scored tokens, so "
            f"nothing could be forgotten: scoring under a {window:,}-token window instead (a "
            "smaller budget in Truncate chooses one)")
    return replace(strategy, window=window), note


def score_start(model: LocalModel, text: str, strategy: Strategy,
                report: Callable[[str], None], cancelled: Callable[[], bool],
                tell: Callable[[str], object]) -> SurprisalMap:
    """In a worker: the losses of the first ``SURPRISAL_MAX_TOKENS`` model tokens of ``text``."""
    from ctxlab.core.probes.surprisal import surprisal_map, text_start

    head = text_start(model, text, SURPRISAL_MAX_TOKENS)
    spans = model.tokenizer.encode(head)
    strategy, note = window_that_forgets(strategy, len(spans))
    if note:
        tell(note)
    return surprisal_map(model, head, strategy, should_cancel=cancelled,
                         progress=lambda step: report(f"surprisal: scoring {step}…"))


def overlay_legend(overlay: SurprisalMap) -> Content:
    """The mode bar's key to the heat colours while the overlay is on."""
    swatches = [(f" {label} ", f"#e8e8e8 on {colour}")
                for colour, label in zip(HEAT, HEAT_LABELS, strict=True)]
    return Content.assemble(
        (" SURPRISAL ", "bold reverse"), f" loss rise under {overlay.strategy.label}: ",
        *swatches, " ", ("unscored", f"italic {UNSCORED_FG}"), " · ", ("s", "bold"), " off")
