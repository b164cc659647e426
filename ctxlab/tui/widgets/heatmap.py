"""The recall heatmap: rows are needle depths, columns lengths, one block of columns per strategy.

A cell says whether the greedy answer held the needle (✓/✗, or hits/needles)
and log P(answer) in nats; its colour mixes the two, so a near miss is orange
and an unsure hit yellow-green.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from ctxlab.core.heatmap_svg import recall_colour
from ctxlab.core.probes.recall import Trial

LEGEND = ("✓ recalled  ✗ missed  · log P(answer) in nats, 0 = certain · "
          "red missed → green recalled, paler when unsure")


def cell_text(trials: Sequence[Trial]) -> Text:
    """One cell: hit mark (or hits/trials) and mean log P, on a colour scoring both."""
    if not trials:
        return Text(" · ", style="dim")
    hits = sum(t.recalled for t in trials)
    logprob = sum(t.answer_logprob for t in trials) / len(trials)
    mark = ("✓" if hits else "✗") if len(trials) == 1 else f"{hits}/{len(trials)}"
    score = (hits / len(trials) + math.exp(logprob)) / 2
    return Text(f" {mark} {logprob:.1f} ", style=f"#111111 on {recall_colour(score)}")


class RecallHeatmap(DataTable):
    """Fill with `prepare`, then `add_trials` as progress arrives; `trials_at` reads a cell."""

    DEFAULT_CSS = "RecallHeatmap { height: auto; max-height: 12; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id, cursor_type="cell", header_height=2, zebra_stripes=False)
        self.depths: list[float] = []
        self.blocks: list[tuple[str, int]] = []  # per column: strategy label, length
        self.trials: list[Trial] = []

    def prepare(self, depths: Sequence[float], lengths: Sequence[int],
                strategies: Sequence[str]) -> None:
        """An empty grid for a new run."""
        self.clear(columns=True)
        self.depths, self.trials = list(depths), []
        self.blocks = [(s, n) for s in strategies for n in lengths]
        for label, length in self.blocks:
            self.add_column(Text(f"{label}\n{length} tok"), key=f"{label}|{length}")
        for depth in self.depths:
            self.add_row(*(cell_text([]) for _ in self.blocks), key=repr(depth),
                         label=f"{depth:.0%}")

    def add_trials(self, trials: Sequence[Trial]) -> None:
        """Draw the cells of trials not drawn yet (each progress message carries them all)."""
        new = trials[len(self.trials):]
        self.trials = list(trials)
        for cell in dict.fromkeys((t.strategy, t.depth, t.length) for t in new):
            strategy, depth, length = cell
            self.update_cell(repr(depth), f"{strategy}|{length}",
                             cell_text(self._matching(strategy, depth, length)))

    def trials_at(self, coordinate: Coordinate) -> list[Trial]:
        """The trials of the cell at ``coordinate`` (none while it has not run)."""
        row, column = coordinate
        if not (0 <= row < len(self.depths) and 0 <= column < len(self.blocks)):
            return []
        strategy, length = self.blocks[column]
        return self._matching(strategy, self.depths[row], length)

    def _matching(self, strategy: str, depth: float | None, length: int | None) -> list[Trial]:
        return [t for t in self.trials
                if (t.strategy, t.depth, t.length) == (strategy, depth, length)]
