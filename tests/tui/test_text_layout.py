"""Wrapping by cell width: rows tile the text, fit the width, and map cells back to chars."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from ctxlab.core.text_layout import measure, wrap
from ctxlab.tui.glyphs import GlyphMap, cell_width


def layout_of(text: str, width: int):
    return wrap(measure(text, cell_width), width)


@given(st.text(alphabet=st.sampled_from("ab \n\t東🐉\u200d\x00é"), max_size=200),
       st.integers(min_value=1, max_value=30))
def test_rows_tile_the_text_and_fit_the_width(text: str, width: int) -> None:
    layout = layout_of(text, width)
    assert layout.row_start[0] == 0 and layout.row_end[-1] == len(text)
    assert (layout.row_start[1:] == layout.row_end[:-1]).all()
    for row in range(len(layout)):
        chars = int(layout.row_end[row] - layout.row_start[row])
        assert layout.row_cells(row) <= width or chars == 1  # one too-wide char gets its own row
        assert "\n" not in text[layout.row_start[row]:layout.row_end[row] - 1]


@given(st.text(max_size=80), st.booleans())
def test_drawn_text_has_exactly_the_measured_cells(text: str, show_whitespace: bool) -> None:
    """The view's arithmetic (mouse mapping, wrapping) must agree with what Rich draws."""
    drawn = GlyphMap().drawable(text, show_whitespace)
    assert cell_len(drawn) == sum(cell_width(ord(c)) for c in text)
    # no raw control, bidi override, joiner or line separator reaches the terminal
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in drawn)


def test_wraps_after_a_space_when_a_word_would_not_fit() -> None:
    text = "alpha beta gamma"
    layout = layout_of(text, 12)
    rows = [text[s:e] for s, e in zip(layout.row_start, layout.row_end, strict=True)]
    assert rows == ["alpha beta ", "gamma"]


def test_newlines_end_rows_and_a_trailing_newline_leaves_an_empty_row() -> None:
    layout = layout_of("ab\ncd\n", 80)
    assert list(layout.row_start) == [0, 3, 6] and list(layout.row_end) == [3, 6, 6]


def test_wide_characters_answer_for_both_cells() -> None:
    layout = layout_of("a東b", 10)
    assert [layout.char_at_cell(0, x) for x in range(5)] == [0, 1, 1, 2, -1]
    assert layout.cell_of_char(2) == 3


def test_a_megabyte_wraps_into_lines_that_cover_it() -> None:
    """Wrap speed is measured by benchmarks/tui_bench.py; here: the rows of a big text."""
    text = ("word " * 40 + "\n") * 5000 + "x" * 100_000
    layout = layout_of(text, 100)
    # 200 cells wrap into 2 rows + the newline row; then 1000 rows of x
    assert len(layout) == 5000 * 3 + 1000
