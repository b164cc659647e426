"""Before the first arrow key no token is selected: the inspector says how to pick one
instead of "No token here.", which read as if the document had no tokens."""

from __future__ import annotations

from ctxlab.tui.widgets.inspector import Inspector


async def test_the_inspector_says_how_to_pick_a_token_until_one_is_picked(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settled()
        inspector = app.query_one(Inspector)
        assert str(inspector.visual.plain) == "Move the cursor (arrows) or the mouse over a token."
        await pilot.press("right")
        await app.settled()
        assert inspector.fact("text") == repr("The")
