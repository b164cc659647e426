"""The Recall tab's plain logic: the form as a needle grid, and what one trial's model saw.

No widgets here: the panel's thread workers call these. A trial records its
outcome but not its prompt; greedy runs are deterministic, so the document
and the model's view of it are rebuilt exactly (tokenizing, no forward pass).
Every grid also asks each question with no fact in the text (the baseline):
a recalled answer the model gives anyway does not count as recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctxlab.core.local_models import ModelChoice
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.number_lists import parse_numbers
from ctxlab.core.probes.context import Strategy, build_prompt, parse_strategies, view
from ctxlab.core.probes.needles import Haystack, Needle
from ctxlab.core.probes.recall import GridSpec, Trial
from ctxlab.core.spans import TokenSpans
from ctxlab.core.strategies import probe_defaults
from ctxlab.core.text_layout import CellMetrics, measure
from ctxlab.core.truncation import dropped_mask
from ctxlab.tui.glyphs import cell_width

MAX_LENGTH = 8192  # the default model's context


@dataclass(frozen=True)
class RecallForm:
    """The form's text, with small defaults: 24 trials plus 8 with no fact, about half a
    minute on two cores with SmolLM2."""

    depths: str = "0,50,100"  # percent of the document before the needle
    lengths: str = "256,512"  # document tokens
    window: str = "256"  # W for every strategy but full and native (the whole prompt counts)
    strategies: str = probe_defaults(None)
    needles: str = "1"

    def spec(self) -> tuple[GridSpec, int]:
        """The grid and how many needles; a ValueError names the field that is wrong."""
        depths = parse_numbers(self.depths, "depths")
        if any(not 0 <= d <= 100 for d in depths):
            raise ValueError("depths: percentages from 0 to 100")
        lengths = [int(n) for n in parse_numbers(self.lengths, "lengths")]
        if any(not 1 <= n <= MAX_LENGTH for n in lengths):
            raise ValueError(f"lengths: from 1 to {MAX_LENGTH:,} tokens")
        window = parse_numbers(self.window, "W")[0]
        if window < 1 or window != int(window):
            raise ValueError("W: a whole number of tokens")
        try:
            strategies = parse_strategies(self.strategies, int(window))
        except ValueError as exc:
            raise ValueError(f"strategies: {exc}") from None
        needles = int(parse_numbers(self.needles, "needles")[0])
        if needles < 1:
            raise ValueError("needles: at least 1")
        spec = GridSpec(depths=tuple(d / 100 for d in depths), lengths=tuple(lengths),
                        strategies=strategies, baseline=True)
        return spec, needles


def trial_count(spec: GridSpec, needles: int) -> int:
    """Needle trials, plus one with no fact per strategy, length and needle."""
    columns = len(spec.lengths) * len(spec.strategies) * needles
    return len(spec.depths) * columns + (columns if spec.baseline else 0)


@dataclass(frozen=True)
class RecallRun:
    """A grid being run, with what rebuilding any of its trials needs."""

    spec: GridSpec
    needles: tuple[Needle, ...]
    haystack: Haystack  # built as the grid builds its own, so documents match
    model: LocalModel
    choice: ModelChoice  # what the user picked, to name the model that answered

    def needle(self, needle_id: str) -> Needle:
        return next(n for n in self.needles if n.id == needle_id)

    def strategy(self, label: str) -> Strategy:
        return next(s for s in self.spec.strategies if s.label == label)


@dataclass(frozen=True)
class TrialContext:
    """The document of one trial in the model's tokens, and what its answer could not see."""

    trial: Trial
    spans: TokenSpans
    metrics: CellMetrics
    unseen: np.ndarray  # per context token: cut by truncation, or outside the answer's window
    needle_token: int  # the needle's first token
    summary: str


def trial_context(run: RecallRun, trial: Trial) -> TrialContext:
    needle, strategy = run.needle(trial.needle), run.strategy(trial.strategy)
    document = run.haystack.at_depth(needle.fact, trial.depth or 0.0, trial.length or 0)
    prompt = build_prompt(run.model, document, needle.question, chat=run.spec.chat)
    seen = view(prompt, strategy)
    total = len(prompt.context)
    fed = sum(end - start for start, end in seen.fed_tokens)
    if fed < total:
        how = f"truncation cut {total - fed:,} of {total:,} context tokens (greyed)"
    elif seen.seen_tokens != [(0, total)]:
        how = (f"all {total:,} context tokens were fed; greyed ones are outside the answer's "
               "attention window (earlier layers can still relay some of them)")
    else:
        how = f"the whole context ({total:,} tokens) fit in the window"
    where = ("the needle was cut" if trial.needle_slot < 0 else
             "the answer attended to the needle" if trial.needle_seen else
             "the needle was fed but outside the answer's window")
    needle_token = prompt.context.token_index_at_char(document.index(needle.fact))
    return TrialContext(trial, prompt.context, measure(document, cell_width),
                        dropped_mask(total, seen.seen_tokens), needle_token,
                        f"{how}; {where} (cursor)")
