"""One snapshot per main screen state (review the HTML report before --snapshot-update)."""

from __future__ import annotations

from textual.widgets import TextArea

SIZE = (110, 32)


def settle_then(*keys: str):
    """A run_before that waits for the workers, presses ``keys``, and waits again."""

    async def run_before(pilot) -> None:
        await pilot.app.settled()
        for editor in pilot.app.query(TextArea):
            editor.cursor_blink = False
        if keys:
            await pilot.press(*keys)
            await pilot.app.settled()

    return run_before


def test_token_view_with_cursor(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE,
                        run_before=settle_then("right", "right", "down"))


def test_token_view_whitespace_and_id_colours(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle_then("w", "c"))


def test_edit_mode(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle_then("e"))


def test_compare_tab(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle_then("2"))


def test_windows_tab(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle_then("3"))


def test_truncate_tab_sinks(snap_compare, make_app) -> None:
    app = make_app(budget=24, strategy="sinks")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle_then("4"))


def test_help_screen(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle_then("question_mark"))


def test_narration_panel(snap_compare, make_app) -> None:
    async def narrate(pilot) -> None:
        await pilot.app.settled()
        pilot.app.narrate("## Lesson 1\nEach colour is one **token**.")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=narrate)
