"""The recall heatmap: rows are needle depths, columns lengths, one block of columns per strategy.

A cell says whether the greedy answer held the needle (✓/✗, or hits/needles)
and log P(answer) in nats; its colour mixes the two, so a near miss is orange
and an unsure hit yellow-green. The no-fact baseline trials have no depth, so
they get no row: a cell whose answer the baseline also gave is marked ``*``
and greyed, since that recall does not count (``RecallResult.counts``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from ctxlab.core.heatmap_svg import recall_colour
from ctxlab.core.probes.recall import RecallResult, Trial

LEGEND = ("✓ recalled  ✗ missed  * guessed with no fact in the text: not counted · "
          "log P(answer) in nats, 0 = certain · red missed → green recalled, grey guessed")
GUESSED = "#9e9e9e"  # a recall the baseline also gave tells nothing: neither red nor green


def cell_text(trials: Sequence[Trial], result: RecallResult | None = None) -> Text:
    """One cell: hit mark (or counted hits/trials, ``*`` if any were guessed) and mean log P,
    on a colour scoring both; grey when every hit was guessed by the baseline."""
    if not trials:
        return Text(" · ", style="dim")
    hits = sum(t.recalled for t in trials)
    counted = sum(result.counts(t) for t in trials) if result is not None else hits
    logprob = sum(t.answer_logprob for t in trials) / len(trials)
    guessed = "*" if counted < hits else ""
    mark = ("✓" if hits else "✗") if len(trials) == 1 else f"{counted}/{len(trials)}"
    colour = GUESSED if hits and not counted else recall_colour(
        (counted / len(trials) + math.exp(logprob)) / 2)
    return Text(f" {mark}{guessed} {logprob:.1f} ", style=f"#111111 on {colour}")


class RecallHeatmap(DataTable):
    """Fill with `prepare`, then `add_trials` as progress arrives; `trials_at` reads a cell."""

    DEFAULT_CSS = "RecallHeatmap { height: auto; max-height: 12; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id, cursor_type="cell", header_height=2, zebra_stripes=False)
        self.depths: list[float] = []
        self.blocks: list[tuple[str, int]] = []  # per column: strategy label, length
        self.trials: list[Trial] = []  # every trial so far, the no-fact baselines too
        self.result = RecallResult("grid", {})  # the same trials, to tell guessed recall

    def prepare(self, depths: Sequence[float], lengths: Sequence[int],
                strategies: Sequence[str]) -> None:
        """An empty grid for a new run."""
        self.clear(columns=True)
        self.depths, self.trials = list(depths), []
        self.result = RecallResult("grid", {})
        self.blocks = [(s, n) for s in strategies for n in lengths]
        for label, length in self.blocks:
            self.add_column(Text(f"{label}\n{length} tok"), key=f"{label}|{length}")
        for depth in self.depths:
            self.add_row(*(cell_text([]) for _ in self.blocks), key=repr(depth),
                         label=f"{depth:.0%}")

    def add_trials(self, trials: Sequence[Trial]) -> None:
        """Draw the cells of trials not drawn yet (each progress message carries them all);
        a baseline redraws its column, whose recall it may make not count."""
        new = trials[len(self.trials):]
        self.trials = list(trials)
        self.result = RecallResult("grid", {}, self.trials)
        columns = {(t.strategy, t.length) for t in new if t.baseline}
        cells = [(t.strategy, t.depth, t.length) for t in new if not t.baseline]
        cells += [(strategy, depth, length) for strategy, length in self.blocks
                  if (strategy, length) in columns for depth in self.depths]
        for strategy, depth, length in dict.fromkeys(cells):  # "✓* -11.0" is wider than "80 tok"
            self.update_cell(repr(depth), f"{strategy}|{length}",
                             cell_text(self._matching(strategy, depth, length), self.result),
                             update_width=True)

    def baselines_at(self, coordinate: Coordinate) -> list[Trial]:
        """The no-fact trials of the column at ``coordinate`` (none before they ran)."""
        column = coordinate.column
        if not 0 <= column < len(self.blocks):
            return []
        strategy, length = self.blocks[column]
        return [t for t in self.trials
                if t.baseline and (t.strategy, t.length) == (strategy, length)]

    def trials_at(self, coordinate: Coordinate) -> list[Trial]:
        """The trials of the cell at ``coordinate`` (none while it has not run)."""
        row, column = coordinate
        if not (0 <= row < len(self.depths) and 0 <= column < len(self.blocks)):
            return []
        strategy, length = self.blocks[column]
        return self._matching(strategy, self.depths[row], length)

    def _matching(self, strategy: str, depth: float | None, length: int | None) -> list[Trial]:
        return [t for t in self.trials if not t.baseline
                and (t.strategy, t.depth, t.length) == (strategy, depth, length)]
