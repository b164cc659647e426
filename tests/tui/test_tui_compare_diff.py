"""The compare tab shows where tokenizers disagree: a summary line and marked tokens."""

from __future__ import annotations

from ctxlab.tui.widgets.compare import ComparePanel

TEXT = "unbelievable 12345"
GPTS = ("r50k_base", "cl100k_base", "o200k_base")
SIZE = (110, 24)


def marked_tokens(panel: ComparePanel) -> dict[str, list[str]]:
    """Per pane, the text of the segments drawn with the disagreement mark (first row)."""
    return {name: [seg.text for seg in view.render_line(0)
                   if seg.style is not None and seg.style.color == view.palette.marked.color]
            for name, view in panel.views().items()}


async def test_the_summary_counts_shared_boundaries_and_unshared_tokens_are_marked(make_app):
    app = make_app(TEXT, tokenizers=GPTS)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("2")
        await app.settled()
        panel = app.query_one(ComparePanel)
        summary = str(panel.query_one("#compare-agreement").render())
        assert summary.startswith("boundaries shared by all: 3 of 7; first disagreement at char 5")
        # un|bel|iev|able| 123|45 · un|belie|vable| |123|45 · un|bel|ievable| |123|45
        assert marked_tokens(panel) == {"r50k_base": ["iev", "able"],
                                        "cl100k_base": ["vable", "123"],
                                        "o200k_base": ["ievable", "123"]}


async def test_marks_follow_the_text_and_vanish_when_the_tokenizers_agree(make_app):
    app = make_app(TEXT, tokenizers=("cl100k_base", "o200k_base"))
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()  # the tokenizers have loaded: the tab opens on finished counts
        await pilot.press("2")
        await app.settled()
        panel = app.query_one(ComparePanel)
        assert marked_tokens(panel) == {"cl100k_base": ["vable"], "o200k_base": ["ievable"]}
        app.set_document("In 2024 the toll rose from 7 to 1,234,567 coins.")
        await app.settled()
        assert str(panel.query_one("#compare-agreement").render()).startswith(
            "boundaries shared by all: 18 of 18; no disagreement")
        assert marked_tokens(panel) == {"cl100k_base": [], "o200k_base": []}


def test_compare_tab_marks_disagreements(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await pilot.app.settled()
        await pilot.press("2")
        await pilot.app.settled()

    assert snap_compare(make_app(TEXT, tokenizers=GPTS), terminal_size=SIZE,
                        run_before=run_before)
