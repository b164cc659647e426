"""The token view on its own: typed look and marks, the reactive cursor, theme-following colours."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from ctxlab.config import COLOUR_MODES, ConfigError, load_settings
from ctxlab.core.text_layout import measure
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.tui.glyphs import cell_width
from ctxlab.tui.token_rows import Look
from ctxlab.tui.token_styles import SPLIT
from ctxlab.tui.widgets.token_view import TokenView

TEXT = "The dragon counted 1,024 coins before dawn.\nA second line, for the cursor rows.\n"


class ViewApp(App):
    """Just one token view, so each test sees the widget and nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[int, bool]] = []

    def compose(self) -> ComposeResult:
        yield TokenView(id="view")

    def on_token_view_cursor_moved(self, message: TokenView.CursorMoved) -> None:
        self.moves.append((message.index, message.hover))


@pytest.fixture
def spans():
    return get_tokenizer("o200k_base").encode(TEXT)


async def shown(pilot, spans) -> TokenView:
    view = pilot.app.query_one(TokenView)
    view.show(TEXT, measure(TEXT, cell_width), spans)
    await pilot.pause()
    assert view.spans is spans
    return view


def cursor_segment_style(view: TokenView):
    """The style the cursor token is drawn with on its row."""
    row = view.paint.layout.row_of_char(int(view.spans.char_start[view.cursor]))
    text = view.spans.token_text(view.cursor)
    return next(s.style for s in view.render_line(row) if s.text == text)


async def test_the_cursor_is_clamped_to_the_tokens_and_says_where_it_went(spans) -> None:
    app = ViewApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = await shown(pilot, spans)
        assert view.cursor == -1 and app.moves == []  # no cursor until asked, and no message
        view.move_cursor(10**6)
        await pilot.pause()
        assert view.cursor == len(spans) - 1 and app.moves == [(len(spans) - 1, False)]
        view.move_cursor(-7)
        assert view.cursor == 0
        view.cursor = -3  # the reactive itself: below 0 means no cursor
        assert view.cursor == -1
        short = get_tokenizer("o200k_base").encode("The dragon")
        view.show("The dragon", measure("The dragon", cell_width), short)
        view.cursor = 50  # the spans being shown bound it, before their layout is on screen
        assert view.cursor == len(short) - 1


async def test_moving_the_cursor_redraws_the_row_it_leaves_and_the_row_it_enters(spans) -> None:
    app = ViewApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = await shown(pilot, spans)
        view.move_cursor(0)
        first_row = view.render_line(0)
        last = len(spans) - 2  # a token of the second row
        view.move_cursor(last)
        assert view.paint.layout.row_of_char(int(spans.char_start[last])) == 1
        assert view.render_line(0).text == first_row.text
        assert [s.style for s in view.render_line(0)] != [s.style for s in first_row]
        assert cursor_segment_style(view) == view.palette.cursor


async def test_look_and_marks_are_typed_and_wait_for_the_layout(spans) -> None:
    app = ViewApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(TokenView)
        view.show(TEXT, measure(TEXT, cell_width), spans)
        dropped = np.zeros(len(spans), dtype=bool)
        dropped[:4] = True
        view.set_marks(dropped=dropped)  # before the first layout: kept until it comes
        view.set_look(Look("id", show_whitespace=True))
        await pilot.pause()
        assert view.paint.marks.dropped is dropped and view.paint.marks.heat is None
        assert view.paint.look == Look("id", show_whitespace=True)
        assert "·" in view.render_line(0).text  # spaces drawn as glyphs
        view.set_marks(marked=dropped)  # a mark not given is cleared
        assert view.paint.marks.dropped is None and view.paint.marks.marked is dropped
        view.show(TEXT, view.paint.layout.metrics, spans)  # new spans start unmarked
        assert view.paint.marks.marked is None and view.paint.look.colour_mode == "id"


async def test_cursor_and_dropped_colours_follow_the_theme_split_keeps_the_export_colour(
        spans) -> None:
    app = ViewApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = await shown(pilot, spans)
        view.move_cursor(1)
        dark = view.palette
        assert cursor_segment_style(view).bgcolor == dark.cursor.bgcolor
        app.theme = "textual-light"
        await pilot.pause()
        light = view.palette
        assert light.cursor.bgcolor != dark.cursor.bgcolor
        assert light.dropped.color != dark.dropped.color
        assert cursor_segment_style(view).bgcolor == light.cursor.bgcolor  # rows drawn again
        assert light.split.bgcolor.triplet.hex == dark.split.bgcolor.triplet.hex == SPLIT


def test_look_cycles_through_the_colour_modes_the_config_accepts(tmp_path) -> None:
    look = Look()
    seen = [look.colour_mode]
    for _ in COLOUR_MODES:
        look = look.next_colours()
        seen.append(look.colour_mode)
    assert seen == [*COLOUR_MODES, COLOUR_MODES[0]]
    assert look.toggled_whitespace() == Look(look.colour_mode, show_whitespace=True)
    for mode in COLOUR_MODES:
        assert load_settings(env={"CTXLAB_COLOURS": mode,
                                  "CTXLAB_CONFIG": str(tmp_path / "none.toml")}).colours == mode
    with pytest.raises(ConfigError, match="'alternate', 'id'"):
        load_settings(env={"CTXLAB_COLOURS": "rainbow", "CTXLAB_CONFIG": str(tmp_path / "x")})


def test_a_combining_mark_token_shares_and_marks_the_cell_before_it() -> None:
    """o200k cuts "cafe\u0301" as c | afe | U+0301: the mark takes no cell, so its boundary
    would be invisible; its cell ("e" + mark) is drawn as a character two tokens share."""
    from rich.style import Style

    from ctxlab.core.text_layout import measure, wrap
    from ctxlab.core.tokenizers import get_tokenizer
    from ctxlab.tui.glyphs import cell_width
    from ctxlab.tui.token_rows import RowPainter, TokenPaint
    from ctxlab.tui.token_styles import TokenFacts, TokenStyles

    text = "cafe\u0301 ok"
    spans = get_tokenizer("o200k_base").encode(text)
    assert [spans.token_text(i) for i in range(3)] == ["c", "afe", "\u0301"]
    paint = TokenPaint(text, wrap(measure(text, cell_width), 40), spans)
    painter, plain = RowPainter(), Style()
    segments = painter.segments(paint, 0, -1, plain)
    assert [s.text for s in segments][:3] == ["c", "af", "e\u0301"]
    assert "".join(s.text for s in segments) == text  # every character drawn once, no cell added
    mark_id = int(spans.ids[2])
    styles = TokenStyles()
    shared = styles.style(TokenFacts(2, mark_id, True, False, False, False, None, False),
                          "alternate")
    assert segments[2].style == shared and segments[1].style != shared
    on_mark = painter.segments(paint, 0, 2, plain)  # the cursor on the mark lights its cell
    assert on_mark[2].style == styles.style(
        TokenFacts(2, mark_id, True, False, False, True, None, False), "alternate")
