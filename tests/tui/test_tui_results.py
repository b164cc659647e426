"""Results that were wrong or silently missing: every typed value shows its effect or says why."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from ctxlab.config import ConfigError, load_settings
from ctxlab.tui.widgets.compare import ComparePanel
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


def test_a_malformed_keymap_variable_is_one_clear_line(tmp_path) -> None:
    env = {"CTXLAB_CONFIG": str(tmp_path / "none.toml"), "CTXLAB_KEYMAP": "ctxlab.tab.compare"}
    with pytest.raises(ConfigError, match=r"'ctxlab.tab.compare' is not id=key \(e.g. "):
        load_settings(env=env)
    env["CTXLAB_KEYMAP"] = "ctxlab.help=f1,f2,ctxlab.tab.compare=f3"
    assert dict(load_settings(env=env).keymap) == {"ctxlab.help": "f1,f2",
                                                   "ctxlab.tab.compare": "f3"}


async def test_keymap_problems_are_notified_at_start_up(make_app) -> None:
    """An unknown id was ignored and a key given to two actions made one unreachable."""
    app = make_app(keymap={"ctxlab.no.such": "f5", "ctxlab.tab.compare": "t"})
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        notes = [n.message for n in app.notices]
        assert any("'ctxlab.no.such'" in note for note in notes)
        assert any("'t' is bound to ctxlab.tab.compare and ctxlab.tokenizer.next" in note
                   for note in notes)
        await pilot.press("t")
        await app.settled()
        assert app.query_one("#tabs").active == "compare"  # the remap itself still applies


async def test_sliding_the_window_scrolls_the_view_to_it(make_app) -> None:
    app = make_app("".join(f"line {n} of a long document\n" for n in range(400)))
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.set_truncation(budget=200, strategy="sliding")
        await pilot.press("4")
        await app.settled()
        for _ in range(6):
            await pilot.press("full_stop")
            await app.settled()
        panel = app.query_one(TruncatePanel)
        view = app.query_one("#truncate-view")
        assert panel.position == 6
        first_kept = panel.result.kept[0][0]
        row = view.paint.layout.row_of_char(int(view.spans.char_start[first_kept]))
        top = round(view.scroll_y)
        assert top <= row < top + view.scrollable_content_region.height


async def test_lesson_sized_compare_sets_draw_every_pane(make_app) -> None:
    names = ["r50k_base", "cl100k_base", "o200k_base", "p50k_base", "gpt2"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await app.set_compare(names)
        await pilot.press("2")
        await app.settled()
        assert list(app.query_one(ComparePanel).views()) == names
