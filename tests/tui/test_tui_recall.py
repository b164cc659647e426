"""The Recall tab: a tiny needle grid run by the local model, its heatmap, a cell, cancelling,
and the no-fact baseline that makes a guessed recall not count."""

from __future__ import annotations

import asyncio

from asset_guard import require_asset
from textual.coordinate import Coordinate
from textual.worker import WorkerState

from ctxlab.core.probes import needles
from ctxlab.core.probes.needles import Needle
from ctxlab.core.probes.recall import Trial
from ctxlab.tui.widgets.heatmap import GUESSED, RecallHeatmap
from ctxlab.tui.widgets.recall_panel import RecallPanel
from ctxlab.tui.widgets.token_view import TokenView

SIZE = (110, 32)
MODEL = "smollm2-135m-instruct-q4_1"
TINY = {"depths": "0,100", "lengths": "256", "window": "128", "strategies": "full,truncate",
        "needles": "1"}


async def run_grid(pilot, **form: str) -> RecallPanel:
    """Show the Recall tab, fill in the form, press r, and wait for the run to end."""
    app = pilot.app
    await app.settled()
    await pilot.press("5")
    panel = app.query_one(RecallPanel)
    panel.configure(**form)
    await pilot.press("r")
    await finished(panel)
    return panel


async def finished(panel: RecallPanel) -> None:
    while panel.running:
        await asyncio.sleep(0.05)
    await panel.app.settled()


async def test_a_tiny_grid_fills_the_heatmap_and_a_cell_shows_what_the_model_saw(make_app):
    require_asset(MODEL)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = await run_grid(pilot, **TINY)
        heatmap = app.query_one(RecallHeatmap)
        assert heatmap.blocks == [("full", 256), ("keep-end 128", 256)]
        assert heatmap.depths == [0.0, 1.0] and heatmap.row_count == 2
        assert len(heatmap.trials) == 6 and not panel.cancelled  # 4 + 2 with no fact
        assert [t.strategy for t in heatmap.trials if t.baseline] == ["full", "keep-end 128"]
        for row in range(2):
            for column in range(2):
                (trial,) = heatmap.trials_at(Coordinate(row, column))
                assert ("✓" if trial.recalled else "✗") in heatmap.get_cell_at(
                    Coordinate(row, column)).plain

        await pilot.press("right")  # keep-end 128, needle at the start: cut off
        await app.settled()
        (trial,) = heatmap.trials_at(Coordinate(0, 1))
        answer = str(app.query_one("#recall-answer").render())
        assert "keep-end 128" in answer and repr(trial.answer) in answer
        assert ("recalled" if trial.recalled else "missed") in answer
        view = app.query_one("#recall-context", TokenView)
        needle = app.query_one(RecallPanel).run.needle(trial.needle)
        assert needle.fact in view.spans.text
        assert view.paint.marks.dropped[view.cursor] == (trial.needle_slot < 0)
        assert 0 < view.paint.marks.dropped.sum() < len(view.spans)  # 128 of a ~300-token prompt

        await pilot.press("left")  # full context: nothing greyed
        await app.settled()
        assert not view.paint.marks.dropped.any()


async def test_cancel_stops_the_run_between_trials(make_app):
    require_asset(MODEL)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("5")
        panel = app.query_one(RecallPanel)
        await pilot.press("r")  # the default form: 24 trials
        while panel.run is None:  # the model is loaded; the grid is starting
            await asyncio.sleep(0.05)
        (worker,) = [w for w in app.workers if w.group == "recall"]
        await pilot.press("r")
        await finished(panel)
        assert worker.state == WorkerState.CANCELLED and panel.cancelled
        assert len(app.query_one(RecallHeatmap).trials) < panel.total == 24 + 8
        assert "cancelled" in str(app.query_one("#recall-status").render())
        assert str(app.query_one("#recall-run").label) == "Run"


async def test_a_bad_form_field_is_a_notification_not_a_run(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("5")
        panel = app.query_one(RecallPanel)
        panel.configure(strategies="full,bogus")
        await pilot.press("r")
        assert not panel.running and not list(app.workers)
        assert any("strategies" in n.message for n in app.notices)


def test_snapshot_recall_tab_after_a_tiny_run(snap_compare, make_app) -> None:
    require_asset(MODEL)

    async def run_before(pilot) -> None:
        await run_grid(pilot, **TINY)
        await pilot.press("right")  # the truncated cell: greyed context, needle cut
        await pilot.app.settled()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


SKY = Needle("sky", "The sky over the harbour is blue.", "What colour is the sky?", "blue")


def test_snapshot_a_recall_the_baseline_guesses_is_marked_as_not_counting(
        snap_compare, make_app, monkeypatch) -> None:
    """SmolLM2 says the sky is blue with no fact in the text: that cell's ✓ does not count
    (at 80x24, where the form takes two rows)."""
    require_asset(MODEL)
    monkeypatch.setattr(needles, "load_needles", lambda: [SKY])

    async def run_before(pilot) -> None:
        app = pilot.app
        panel = await run_grid(pilot, depths="100", lengths="80", strategies="full")
        heatmap = app.query_one(RecallHeatmap)
        (trial,) = heatmap.trials_at(Coordinate(0, 0))
        (guess,) = heatmap.baselines_at(Coordinate(0, 0))
        assert trial.recalled and guess.recalled and "blue" in guess.answer.lower()
        cell = heatmap.get_cell_at(Coordinate(0, 0))
        assert cell.plain.startswith(" ✓* ") and GUESSED in str(cell.style)
        assert "1 recalled, 0 count (1 guessed with no fact)" in str(
            panel.query_one("#recall-status").render())
        answer = str(app.query_one("#recall-answer").render())
        assert "guessed ✓*" in answer and "it says so anyway: not counted" in answer

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_baselines_stay_out_of_the_heatmap_and_mark_only_their_own_column() -> None:
    heatmap = RecallHeatmap()
    with_fact = [Trial("n", s, True, "x", -0.1, 90, 3, True, depth=d, length=256)
                 for s in ("full", "sliding 64") for d in (0.0, 1.0)]
    no_fact = [Trial("n", "full", True, "x", -0.5, 60, -1, False, length=256, baseline=True),
               Trial("n", "sliding 64", False, "y", -4.0, 60, -1, False, length=256,
                     baseline=True)]

    class Recorded(RecallHeatmap):
        def update_cell(self, row, column, value, **kwargs):  # no table to draw into
            cells[(row, column)] = value

    cells: dict = {}
    heatmap = Recorded()
    heatmap.depths, heatmap.blocks = [0.0, 1.0], [("full", 256), ("sliding 64", 256)]
    heatmap.add_trials(with_fact)
    assert {text.plain for text in cells.values()} == {" ✓ -0.1 "}
    heatmap.add_trials(with_fact + no_fact)
    assert cells[("0.0", "full|256")].plain == " ✓* -0.1 "  # guessed: does not count
    assert cells[("1.0", "sliding 64|256")].plain == " ✓ -0.1 "  # the baseline failed here
    assert len(cells) == 4 and heatmap.trials_at(Coordinate(1, 0)) == [with_fact[1]]
