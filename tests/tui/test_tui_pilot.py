"""Drive every feature with keys, as a user would, and check the app's state afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from textual.widgets import Input, TextArea

from ctxlab.core.documents import read_sample
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.tui.token_rows import Look
from ctxlab.tui.widgets.compare import ComparePanel
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.truncate_panel import TruncatePanel
from ctxlab.tui.widgets.windows_panel import WindowsPanel
from tests.tui.conftest import FIXED_TEXT

SIZE = (120, 40)


async def test_first_paint_shows_the_text_split_by_the_first_tokenizer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        expected = get_tokenizer("o200k_base").encode(app.session.document.text)
        assert list(view.spans.ids) == list(expected.ids)
        assert view.paint.layout.width == view.scrollable_content_region.width
        assert "o200k_base" in str(app.query_one("#status").render())


async def test_arrow_keys_move_the_cursor_and_the_inspector_follows(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        await pilot.press("right", "right", "right")
        assert view.cursor == 2
        spans = view.spans
        inspector = app.query_one(Inspector)
        assert inspector.fact("id") == str(int(spans.ids[2]))
        assert inspector.fact("text") == repr(spans.token_text(2))
        token_bytes = get_tokenizer("o200k_base").token_bytes(int(spans.ids[2]))
        assert inspector.fact("bytes") == token_bytes.hex(" ")
        await pilot.press("down")
        assert view.paint.layout.row_of_char(int(spans.char_start[view.cursor])) == 1
        await pilot.press("end")
        assert view.cursor == len(spans) - 1


async def test_clicking_a_wide_character_selects_its_token(make_app) -> None:
    text = "ab 東京 cd"
    app = make_app(text)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        # "ab " takes 3 cells; 東 occupies cells 3-4 and 京 cells 5-6
        await pilot.click(view, offset=(6, 0))
        assert view.spans.char_start[view.cursor] <= 4 < view.spans.char_end[view.cursor]


async def test_t_switches_tokenizer_without_touching_the_document(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        before = app.session.document.text
        await pilot.press("t")
        await app.settled()
        assert app.session.tokenizer == "cl100k_base"
        view = app.query_one("#token-view", TokenView)
        assert list(view.spans.ids) == list(get_tokenizer("cl100k_base").encode(before).ids)
        assert app.session.document.text is before


async def test_an_unknown_tokenizer_is_a_notification_not_a_crash(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        await app.settled()
        app.set_tokenizer("no-such-tokenizer")
        await app.settled()
        assert "no-such-tokenizer" in app.session.errors
        assert any("no-such-tokenizer" in (n.title or "") for n in app.notices)
        assert app.session.document.text.startswith("The dragon")


async def test_typing_in_edit_mode_updates_the_tokens(make_app) -> None:
    app = make_app("hello")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("e")
        editor = app.query_one("#editor", TextArea)
        assert editor.has_focus and editor.text == "hello"
        editor.move_cursor(editor.document.end)
        await pilot.press("space", "w", "o", "r", "l", "d")
        await app.settled()
        assert app.session.document.text == "hello world"
        assert app.query_one("#token-view", TokenView).spans.text == "hello world"
        await pilot.press("escape")
        assert not app.editing and app.query_one("#token-view", TokenView).has_focus


async def test_paste_in_the_token_view_inserts_at_the_cursor(make_app) -> None:
    app = make_app("one two")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("right", "right")  # cursor on " two"
        app.post_message(_paste(" and a half"))  # as the driver does
        await app.settled()
        assert app.session.document.text == "one and a half two"


async def test_pasting_a_dragged_file_path_opens_it(make_app, tmp_path: Path) -> None:
    document = tmp_path / "dropped file.txt"
    document.write_text("dropped in", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE):
        await app.settled()
        app.post_message(_paste(f"'{document}'"))
        await app.settled()
        assert app.session.document.text == "dropped in"
        assert app.session.document.path == document


async def test_compare_panes_scroll_together_and_count(make_app) -> None:
    app = make_app("many words here\n" * 300)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("2")
        await app.settled()
        panel = app.query_one(ComparePanel)
        views = panel.views()
        assert set(views) == {"o200k_base", "cl100k_base"}
        first, second = views.values()
        assert first.has_focus
        await pilot.press("pagedown", "pagedown")
        await app.settled()
        assert first.scroll_y > 0 and second.scroll_y == first.scroll_y
        table = panel.query_one("#compare-table")
        assert table.row_count == 2
        assert table.get_row("o200k_base")[1] == f"{len(app.session.spans['o200k_base']):,}"


async def test_windows_tab_gauges_every_window_with_bands(make_app) -> None:
    app = make_app("word " * 3000)  # ~3000 tokens: over 2K, inside 8K (37 %)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("3")
        gauges = {g.window.name: g for g in app.query_one(WindowsPanel).gauges()}
        assert {"openai/gpt-4o", "2K", "8K", "32K", "128K"} <= set(gauges)
        assert gauges["2K"].band == "over" and gauges["8K"].band == "ok"
        assert "exact" in str(gauges["openai/gpt-4o"].render())
        assert "approx" in str(gauges["8K"].render())


async def test_budget_and_strategy_keys_grey_out_dropped_tokens(make_app) -> None:
    app = make_app("token " * 400)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        panel = app.query_one(TruncatePanel)
        panel.configure(budget=100, strategy="head")
        await pilot.press("4")
        await app.settled()
        view = panel.query_one("#truncate-view", TokenView)
        assert view.has_focus
        assert panel.result.kept == [(0, 100)]
        assert view.paint.marks.dropped.sum() == len(view.spans) - 100
        await pilot.press("minus")
        await app.settled()
        assert panel.budget == 50 and panel.result.kept_tokens == 50
        await pilot.press("m")  # keep-start -> keep-end
        await app.settled()
        assert panel.strategy == "keep-end" and panel.result.kept[-1][1] == len(view.spans)
        assert not view.paint.marks.dropped[-1] and view.paint.marks.dropped[0]


async def test_sliding_window_moves_with_the_period_key(make_app) -> None:
    app = make_app("token " * 400)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.set_truncation(budget=100, strategy="sliding")
        await pilot.press("4")
        await app.settled()
        panel = app.query_one(TruncatePanel)
        assert panel.result.kept == [(0, 100)]
        await pilot.press("full_stop")
        await app.settled()
        assert panel.result.kept == [(50, 150)] and panel.position == 1


async def test_typing_a_budget_recomputes_the_cut(make_app) -> None:
    app = make_app("token " * 400)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("4")
        budget = app.query_one("#budget", Input)
        budget.focus()
        budget.value = ""
        await pilot.press("3", "0", "enter")
        await app.settled()
        assert app.query_one(TruncatePanel).result.kept_tokens == 30


async def test_open_dialog_opens_a_sample(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("o")
        await pilot.pause()
        options = app.screen.query_one("#samples")
        options.focus()
        options.highlighted = [o.id for o in options.options].index("dragon_story")
        await pilot.press("enter")
        await app.settled()
        assert app.session.document.name == "dragon_story.md"
        sample = read_sample("dragon_story")
        assert app.session.document.text == sample.text and sample.text.startswith("# ")
        assert app.session.document.path == sample.path


async def test_palette_switches_the_tokenizer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("ctrl+p")
        await pilot.press(*"Tokenizer: gpt2")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await app.settled()
        assert app.session.tokenizer == "gpt2"


async def test_whitespace_and_colour_toggles_restyle_every_view(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("w", "c")
        for view in app.query(TokenView):
            if view.paint is not None:
                assert view.paint.look == Look("id", show_whitespace=True)
        view = app.query_one("#token-view", TokenView)
        assert "·" in view.render_line(0).text and "↵" in view.render_line(0).text


async def test_special_tokens_toggle_parses_endoftext(make_app) -> None:
    app = make_app("a<|endoftext|>b")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        assert not view.spans.special.any()
        await pilot.press("x")
        await app.settled()
        assert view.spans.special.sum() == 1
        assert app.session.document.text == "a<|endoftext|>b"


async def test_user_keymap_rebinds_by_id(make_app) -> None:
    app = make_app(keymap={"ctxlab.tab.compare": "f2"})
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("f2")
        assert app.query_one("#tabs").active == "compare"


async def test_help_lists_binding_ids(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert "ctxlab.tokenizer.next" in app.screen.markdown
        await pilot.press("escape")
        assert len(app.screen_stack) == 1


async def test_exports_and_save_write_files(make_app, tmp_path: Path) -> None:
    app = make_app()
    app.export_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("ctrl+e")
        app.action_export("html")
        await app.settled()
        html = (tmp_path / "ctxlab-fixture-o200k_base.html").read_text("utf-8")
        spans = app.session.spans["o200k_base"]
        # a token whose characters an earlier token already drew (split emoji) adds no span
        reach = np.maximum.accumulate(spans.char_end)
        new_chars = int((spans.char_end[1:] > reach[:-1]).sum()) + 1
        assert html.count("<span ") == new_chars < len(spans)
        assert (tmp_path / "ctxlab-fixture-o200k_base.svg").read_text("utf-8").startswith("<svg")
        app.save_text(str(tmp_path / "saved.txt"))
        assert (tmp_path / "saved.txt").read_text("utf-8") == app.session.document.text


async def test_narration_panel_shows_and_hides(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.narrate("**Tokens** are not words.")
        await pilot.pause()
        narration = app.query_one("#narration")
        assert narration.display and narration.text.startswith("**Tokens**")
        assert narration.size.width > 0
        app.narrate(None)
        await pilot.pause()
        assert not narration.display


def _paste(text: str):
    from textual.events import Paste

    return Paste(text)


async def test_the_inspector_names_the_tokens_on_screen_while_another_tokenizer_loads(
        make_app) -> None:
    """Keys during a switch to mistral-v1 (32,000 ids) inspected o200k ids with mistral's
    vocabulary: an id past its end crashed the app (the bench stalled there)."""
    from ctxlab.tui.widgets.inspector import Inspector

    app = make_app()
    async with app.run_test(size=(120, 40)):
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        big = int(np.flatnonzero(view.spans.ids >= 32_000)[0])
        app.session.tokenizer = "mistral-v1"  # chosen, its spans not here yet
        app.main.inspect(big)
        assert app.query_one(Inspector).fact("id") == str(int(view.spans.ids[big]))
        assert app.is_running


async def test_a_key_in_flight_while_the_app_shuts_down_is_dropped(make_app) -> None:
    """tui_bench's keys sometimes landed after the last screen was gone: ScreenStackError."""
    from textual.events import Key

    app = make_app()
    assert not app.screen_stack  # as at the end of a shutdown
    await app.on_event(Key("right", None))
    await app.on_event(_paste("text"))


# Everything a user may press that needs no model: tabs, the look, the cursor, the cut, edit
# mode (typing, deleting), the dialogs and their ways out (quitting is tested on its own).
MASHABLE = ["1", "2", "3", "4", "5", "6", "t", "w", "c", "x", "e", "escape", "escape", "right",
            "left", "up", "down", "pageup", "pagedown", "home", "end", "plus", "minus", "m",
            "full_stop", "comma", "tab", "shift+tab", "enter", "backspace", "a", "[",
            "question_mark", "ctrl+t", "ctrl+p", "o", "ctrl+e"]


async def test_random_keys_never_crash_the_app(make_app, tmp_path) -> None:
    """Seeded key mashing over every tab at 80x24, dialogs included: still running, still
    answering, and the document only ever changed by what was typed in edit mode."""
    import random

    rng = random.Random(7)
    app = make_app()
    app.export_dir = tmp_path
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settled()
        for _ in range(150):
            await pilot.press(rng.choice(MASHABLE))
        while len(app.screen_stack) > 1:  # a dialog may be open: leave it
            await pilot.press("escape")
        await app.settled()
        assert app.is_running and app.main.active_tab()
        typed = {key for key in MASHABLE if len(key) == 1} | set("+-.,?\n\t")
        assert set(app.session.document.text) <= set(FIXED_TEXT) | typed


async def test_escape_leaves_a_form_field_so_the_tab_keys_work_again(make_app) -> None:
    """On the Size tab the field took every key, digits and q included, and Escape did not
    let go: a newcomer could not get back to the tokens."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("6")
        assert isinstance(app.focused, Input)
        await pilot.press("1")  # typed into the field
        assert app.main.active_tab() == "size"
        await pilot.press("escape", "1")
        assert app.main.active_tab() == "tokens"
