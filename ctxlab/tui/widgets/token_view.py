"""The token view: a document with token boundaries, drawn one visible row at a time.

A `ScrollView` on Textual's Line API, as Toolong and Textual's `Log` do:
`render_line` draws only the rows on screen, rendered rows live in an LRU of
`Strip`s keyed by what they show, and the cursor is a reactive whose watcher
refreshes just the rows it leaves and enters. The cursor, dropped, marked, split
and special colours are component classes, so they follow the theme. Wrapping a
big document happens in a thread worker.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import count

import numpy as np
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import CellMetrics, TextLayout, wrap
from ctxlab.tui.token_rows import Look, Marks, RowPainter, TokenPaint
from ctxlab.tui.token_styles import SPECIAL, SPECIAL_FG, SPLIT, Palette

SYNC_WRAP_CHARS = 200_000  # below this, wrapping on the UI thread is quicker than a worker hop
_generations = count()


class TokenView(ScrollView, can_focus=True):
    """Shows one text with one tokenizer's boundaries; the cursor is a token index."""

    BINDINGS = [
        Binding("right", "move(1)", "Next token", show=False, id="ctxlab.cursor.next"),
        Binding("left", "move(-1)", "Previous token", show=False, id="ctxlab.cursor.previous"),
        Binding("down", "move_row(1)", "Row down", show=False, id="ctxlab.cursor.down"),
        Binding("up", "move_row(-1)", "Row up", show=False, id="ctxlab.cursor.up"),
        Binding("pagedown", "move_page(1)", "Page down", show=False, id="ctxlab.cursor.page_down"),
        Binding("pageup", "move_page(-1)", "Page up", show=False, id="ctxlab.cursor.page_up"),
        Binding("home", "jump(0)", "First token", show=False, id="ctxlab.cursor.first"),
        Binding("end", "jump(-1)", "Last token", show=False, id="ctxlab.cursor.last"),
    ]
    COMPONENT_CLASSES = {"tokenview--cursor", "tokenview--dropped", "tokenview--marked",
                         "tokenview--special", "tokenview--split"}
    # Split and special keep the HTML export's fixed colours unless a theme's CSS overrides them.
    DEFAULT_CSS = f"""
    TokenView {{ overflow-x: hidden; background: $surface; scrollbar-gutter: stable; }}
    TokenView:focus {{ background-tint: $foreground 3%; }}
    TokenView > .tokenview--cursor {{ background: $text-accent; color: $background;
                                      text-style: bold; }}
    TokenView > .tokenview--dropped {{ color: $text-disabled; text-style: strike; }}
    TokenView > .tokenview--marked {{ color: $text-warning; text-style: bold underline; }}
    TokenView > .tokenview--special {{ background: {SPECIAL}; color: {SPECIAL_FG};
                                       text-style: bold; }}
    TokenView > .tokenview--split {{ background: {SPLIT}; color: #ffffff; text-style: underline; }}
    """
    cursor: reactive[int] = reactive(-1, repaint=False, init=False, always_update=True)
    """Index of the token under the cursor (-1: none); `move_cursor` also scrolls to it."""

    class CursorMoved(Message):
        """The cursor or the mouse is on token ``index`` (-1: none)."""

        def __init__(self, view: TokenView, index: int, hover: bool = False) -> None:
            super().__init__()
            self.view, self.index, self.hover = view, index, hover

        @property
        def control(self) -> TokenView:
            return self.view

    class Scrolled(Message):
        """The top visible row changed (compare panes follow each other)."""

        def __init__(self, view: TokenView, top_row: int) -> None:
            super().__init__()
            self.view, self.top_row = view, top_row

    class Painted(Message):
        """New tokens or layout are on screen (benchmarks and lessons wait for this)."""

    class _Wrapped(Message):
        def __init__(self, layout: TextLayout) -> None:
            super().__init__()
            self.layout = layout

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002 (Textual\'s name)
        super().__init__(id=id, classes=classes)
        self._paint: TokenPaint | None = None  # what is on screen
        self._metrics: CellMetrics | None = None
        # What is to be shown: new spans (and their marks) wait for their text's layout.
        self._spans: TokenSpans | None = None
        self._look = Look()
        self._marks = Marks()
        self._generation = next(_generations)
        self._rows: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        self._painter = RowPainter()
        self._palette: Palette | None = None  # read from the component classes when first drawn
        self._text = ""

    # --- what is shown ------------------------------------------------------------

    @property
    def paint(self) -> TokenPaint | None:
        return self._paint

    @property
    def spans(self) -> TokenSpans | None:
        return self._paint.spans if self._paint else None

    @property
    def palette(self) -> Palette:
        """The theme's styles for the cursor, dropped, marked, split and special tokens."""
        if self._palette is None:
            self._palette = Palette(**{name: self._component_style(f"tokenview--{name}")
                                       for name in ("cursor", "dropped", "marked", "special",
                                                    "split")})
        return self._palette

    def _component_style(self, name: str) -> Style:
        """The component's own style, its colour resolved (alpha, ``auto``) over its background."""
        own = self.get_component_rich_style(name, partial=True)
        if own.color is None:
            return own
        return own + Style(color=self.get_component_rich_style(name).color)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None  # the theme or the CSS changed: rows are drawn again
        self._rows.clear()

    def show(self, text: str, metrics: CellMetrics, spans: TokenSpans | None,
             layout: TextLayout | None = None) -> None:
        """Show ``text`` (measured by ``metrics``) with ``spans``; wrap unless ``layout`` fits.

        The marks of the spans shown before are cleared (`set_marks` gives the new ones)."""
        self._spans, self._marks = spans, Marks()
        self.set_reactive(TokenView.cursor, self.validate_cursor(self.cursor))  # no message
        if self._paint is not None and self._paint.layout.metrics is metrics:
            self._apply_layout(self._paint.layout)  # same text, new tokens: no re-wrap
            return
        if metrics is self._metrics:
            return  # this text is being wrapped; the new spans go on with it
        self._text, self._metrics = text, metrics
        if layout is not None and layout.width == self._wrap_width():
            self._apply_layout(layout)
        else:
            self._rewrap()

    def set_look(self, look: Look) -> None:
        """Draw every token with ``look`` (colour mode, whitespace glyphs)."""
        if look != self._look:
            self._look = look
            self._repaint()

    def set_marks(self, *, dropped: np.ndarray | None = None, heat: np.ndarray | None = None,
                  marked: np.ndarray | None = None) -> None:
        """Overlay per-token marks on the spans last shown; a mark not given is cleared."""
        self._marks = Marks(dropped=dropped, heat=heat, marked=marked)
        self._repaint()

    def _repaint(self) -> None:
        """Show the look and marks now, unless new spans still wait for their layout."""
        paint = self._paint
        if paint is not None and paint.spans is self._spans:
            self._set_paint(replace(paint, look=self._look, marks=self._marks))

    def _set_paint(self, paint: TokenPaint) -> None:
        self._paint = paint
        self._generation = next(_generations)
        self._rows.clear()
        self.virtual_size = Size(paint.layout.width, len(paint.layout))
        self.refresh()
        self.post_message(self.Painted())

    # --- wrapping -----------------------------------------------------------------

    def _wrap_width(self) -> int:
        return self.scrollable_content_region.width

    def _rewrap(self) -> None:
        width = self._wrap_width()
        if width <= 0 or self._metrics is None:
            return  # wrapped on the first resize
        if self._metrics.length <= SYNC_WRAP_CHARS:
            self._apply_layout(wrap(self._metrics, width))
        else:
            self._wrap_in_background(self._metrics, width)

    @work(thread=True, exclusive=True, group="token-view-wrap", exit_on_error=False)
    def _wrap_in_background(self, metrics: CellMetrics, width: int) -> None:
        layout = wrap(metrics, width)
        if not get_current_worker().is_cancelled:
            self.post_message(self._Wrapped(layout))

    def _on_token_view__wrapped(self, message: _Wrapped) -> None:
        if message.layout.metrics is not self._metrics:
            return  # a newer text is being wrapped
        if message.layout.width != self._wrap_width():
            self._rewrap()  # resized while this wrap ran (a panel opened): wrap again
            return
        self._apply_layout(message.layout)

    def _apply_layout(self, layout: TextLayout) -> None:
        old = self._paint
        top_char = self._top_char()
        self._set_paint(TokenPaint(self._text, layout, self._spans, self._look, self._marks))
        if top_char is not None and old is not None and old.layout is not layout:
            self.scroll_to(y=layout.row_of_char(top_char), animate=False, immediate=True)

    def _top_char(self) -> int | None:
        if self._paint is None or not len(self._paint.layout):
            return None
        row = min(round(self.scroll_y), len(self._paint.layout) - 1)
        return int(self._paint.layout.row_start[row])

    def on_resize(self, event: events.Resize) -> None:
        width = self._wrap_width()
        if self._metrics is not None and width > 0 and (
            self._paint is None or self._paint.layout.width != width
        ):
            self._rewrap()

    # --- drawing ------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = round(self.scroll_y) + y
        width = self.size.width
        paint = self._paint
        if paint is None or row >= len(paint.layout):
            return Strip.blank(width, self.rich_style)
        key = (self._generation, row, self.cursor if row in self._cursor_rows(self.cursor) else -1)
        strip = self._rows.get(key)
        if strip is None:
            self._painter.styles.set_palette(self.palette)
            segments = self._painter.segments(paint, row, self.cursor, self.rich_style)
            strip = Strip(segments)
            self._rows[key] = strip
        return strip.crop_extend(0, width, self.rich_style)

    def _cursor_rows(self, index: int) -> range:
        """The rows token ``index`` is drawn on (none when it is not on screen)."""
        spans, paint = self.spans, self._paint
        if paint is None or spans is None or not 0 <= index < len(spans):
            return range(0)
        start = int(spans.char_start[index])
        end = max(start, int(spans.char_end[index]) - 1)
        return range(paint.layout.row_of_char(start), paint.layout.row_of_char(end) + 1)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.Scrolled(self, round(new_value)))

    # --- the cursor ---------------------------------------------------------------

    def validate_cursor(self, index: int) -> int:
        """A token of the spans being shown, or -1 (none, or no tokens to be on)."""
        count = len(self._spans) if self._spans is not None else 0
        return -1 if index < 0 or count == 0 else min(index, count - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        """Redraw the rows the cursor leaves and enters; tell the inspector."""
        for rows in (self._cursor_rows(old), self._cursor_rows(new)):
            if rows:
                self.refresh_lines(rows.start, len(rows))
        self.post_message(self.CursorMoved(self, new))

    def move_cursor(self, index: int, *, scroll: bool = True) -> None:
        """Put the cursor on token ``index`` (clamped) and, with ``scroll``, scroll to it."""
        spans = self.spans
        if spans is None or len(spans) == 0:
            return
        self.cursor = max(index, 0)
        rows = self._cursor_rows(self.cursor)
        if scroll and rows:
            self._scroll_to_row(rows.start)

    def _scroll_to_row(self, row: int) -> None:
        top, height = round(self.scroll_y), self.scrollable_content_region.height
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        self.move_cursor(max(self.cursor, 0) + step if self.cursor >= 0 else 0)

    def action_jump(self, index: int) -> None:
        spans = self.spans
        if spans is not None:
            self.move_cursor(index if index >= 0 else len(spans) - 1)

    def action_move_row(self, rows: int) -> None:
        paint, spans = self._paint, self.spans
        if paint is None or spans is None or len(spans) == 0:
            return
        if self.cursor < 0:  # no cursor yet: start on the top visible row
            top = min(round(self.scroll_y), len(paint.layout) - 1)
            self.move_cursor(max(0, spans.token_index_at_char(int(paint.layout.row_start[top]))))
            return
        char = int(spans.char_start[self.cursor])
        row = paint.layout.row_of_char(char) + rows
        row = min(max(row, 0), len(paint.layout) - 1)
        cell = paint.layout.cell_of_char(char)
        target = paint.layout.char_at_cell(row, cell)
        if target < 0:  # the row is shorter: its last character
            target = max(int(paint.layout.row_end[row]) - 1, int(paint.layout.row_start[row]))
        index = spans.token_index_at_char(target)
        if index < 0:
            index = min(len(spans) - 1, int(spans.char_end.searchsorted(target, side="right")))
        self.move_cursor(index)

    def action_move_page(self, pages: int) -> None:
        """Scroll a page (less one row of context) and take the cursor along."""
        rows = pages * max(1, self.scrollable_content_region.height - 1)
        self.scroll_to(y=round(self.scroll_y) + rows, animate=False, immediate=True)
        self.action_move_row(rows)

    def token_at(self, event: events.MouseEvent) -> int:
        """Token under the mouse (-1 off the text); wide characters count for both cells."""
        offset = event.get_content_offset(self)
        paint, spans = self._paint, self.spans
        if offset is None or paint is None or spans is None:
            return -1
        char = paint.layout.char_at_cell(round(self.scroll_y) + offset.y, offset.x)
        return -1 if char < 0 else spans.token_index_at_char(char)

    def on_click(self, event: events.Click) -> None:
        index = self.token_at(event)
        if index >= 0:
            self.move_cursor(index, scroll=False)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self.token_at(event)
        if index >= 0:
            self.post_message(self.CursorMoved(self, index, hover=True))
