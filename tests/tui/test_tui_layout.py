"""Down to 80x24 every tab keeps its controls on screen; smaller terminals drop the inspector."""

from __future__ import annotations

from textual.widgets import Input

from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.token_view import TokenView


async def test_the_inspector_narrows_then_moves_below_then_hides(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settled()
        view, inspector = app.query_one("#token-view", TokenView), app.query_one(Inspector)
        assert inspector.region.width == 30 and view.region.width >= 48  # beside the text
        assert inspector.region.y == view.region.y
        await pilot.resize_terminal(70, 30)
        await pilot.pause()
        assert inspector.display and inspector.region.y > view.region.y  # below the text
        assert view.region.width >= 68
        await pilot.resize_terminal(60, 15)
        await pilot.pause()
        assert not inspector.display and view.region.width >= 58  # hidden: the text gets it all
        await pilot.press("right")  # the cursor still works without an inspector
        assert view.cursor == 0


async def test_the_recall_form_fits_80_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settled()
        await pilot.press("5")
        await pilot.pause()
        screen = app.screen.region
        for field in app.query("#recall-form Input").results(Input):
            assert screen.contains_region(field.region), field.id
