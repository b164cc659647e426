"""Ctrl+C, the reflex for "quit", says how to quit in plain words: the app shows every
notification without markup, so Textual's own "[b]ctrl+q[/b]" hint showed its brackets."""

from __future__ import annotations


async def test_ctrl_c_names_the_quit_keys_without_markup(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settled()
        await pilot.press("ctrl+c")
        await pilot.pause()
        hint = app.notices[-1]
        assert hint.title == "Do you want to quit?"
        assert hint.message == "Press q or ctrl+q to quit the app"
        assert app.is_running  # a hint, not a quit
