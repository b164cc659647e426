"""Results that were wrong or silently missing: every typed value shows its effect or says why."""

from __future__ import annotations

from textual.widgets import Input, Static

from ctxlab.tui.widgets.truncate_panel import TruncatePanel

SIZE = (120, 40)


async def test_a_typed_budget_of_0_cuts_everything_or_says_why(make_app) -> None:
    """The field showed 0 while the old cut stayed on screen."""
    app = make_app("token " * 100)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("4")
        panel = app.query_one(TruncatePanel)
        budget = app.query_one("#budget", Input)
        budget.focus()
        budget.value = ""
        await pilot.press("0")
        await app.settled()
        assert panel.budget == 0 and panel.result.kept_tokens == 0
        assert panel.result.dropped_tokens == len(app.session.spans["o200k_base"])
        assert "kept 0 of " in str(app.query_one("#truncate-summary", Static).render())
        app.set_truncation(strategy="sliding")
        await app.settled()
        assert panel.result is None
        summary = str(app.query_one("#truncate-summary", Static).render())
        assert "budget 0" in summary and "positive" in summary
