"""Windows: how full each model's context window is, counted with that model's tokenizer."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ctxlab.core.sizing import format_bytes
from ctxlab.core.windows import (
    Fill,
    Window,
    cost,
    fill,
    format_usd,
    kv_cache_bytes,
    screen_windows,
)

BAR_CELLS = 48
BAND_COLOURS = {"ok": "green", "warn": "yellow", "danger": "red", "over": "bold magenta"}


def gauge_text(window: Window, used: int | None, error: str | None = None) -> Text:
    """Two lines: the model and how it is counted, then the bar and the arithmetic."""
    how = ("exact" if window.exact else window.note if window.label
           else f"approx: {window.note}" if window.note else "approx")
    head = Text.assemble((window.name, "bold"), "  ", (f"{window.tokenizer} · {how}", "dim"))
    if used is None and error:
        return Text.assemble(head, "\n", (f"cannot count: {error}", "yellow"))
    if used is None:
        return Text.assemble(head, "\n", ("counting…", "dim italic"))
    result = fill(window, used)
    bar = _bar(result)
    numbers = (f" {result.percent:5.1f}%  {used:,} used"
               + (f" + {result.reserved:,} reserved output" if result.reserved else "")
               + f" of {window.context:,}"
               + (f" · {result.remaining:,} left" if result.remaining >= 0
                  else f" · over by {-result.remaining:,}"))
    kv = kv_cache_bytes(window, result)
    if kv is not None:
        numbers += f" · KV cache {format_bytes(kv)} (fp16)"
    numbers += cost_text(window, result)
    return Text.assemble(head, "\n", bar, (numbers, BAND_COLOURS[result.band]))


def cost_text(window: Window, result: Fill) -> str:
    """`` · $ in (cached) + $ out`` at the catalogue's prices; empty when it lists none."""
    priced = cost(window, result)
    if priced is None:
        return ""
    cached = ("" if priced.cached_input is None
              else f" ({format_usd(priced.cached_input)} cached)")
    out = ("" if priced.output is None or not result.reserved
           else f" + {format_usd(priced.output)} out")
    return f" · {format_usd(priced.input)} in{cached}{out}"


def _bar(result: Fill) -> Text:
    used_cells = min(BAR_CELLS, round(BAR_CELLS * result.used / result.context))
    reserved = round(BAR_CELLS * result.reserved / result.context)
    reserved_cells = min(BAR_CELLS - used_cells, reserved)
    free_cells = BAR_CELLS - used_cells - reserved_cells
    colour = BAND_COLOURS[result.band]
    return Text.assemble(("█" * used_cells, colour), ("▒" * reserved_cells, "blue"),
                         ("░" * free_cells, "grey37"))


class WindowGauge(Static):
    DEFAULT_CSS = "WindowGauge { height: auto; margin: 0 0 1 0; }"

    def __init__(self, window: Window) -> None:
        super().__init__(gauge_text(window, None))
        self.window = window
        self.band: str | None = None

    def set_used(self, used: int | None, error: str | None = None) -> None:
        self.band = None if used is None else fill(self.window, used).band
        self.update(gauge_text(self.window, used, error))


class WindowsPanel(VerticalScroll):
    """One gauge per window; counts arrive per tokenizer from the analysis worker."""

    DEFAULT_CSS = "WindowsPanel { padding: 1 2; }"

    class Loaded(Message):
        """The catalogue's windows are known (the screen counts with their tokenizers)."""

        def __init__(self, windows: list[Window]) -> None:
            super().__init__()
            self.windows = windows

    def on_mount(self) -> None:
        self.loading = True  # a spinner while the catalogue of windows loads

    @work(thread=True, exclusive=True, group="windows", exit_on_error=False)
    def load(self, names: tuple[str, ...]) -> None:
        """In a worker (the catalogue takes seconds to read): the windows, then ``Loaded``."""
        windows, problems = screen_windows(names)
        for problem in problems:
            self.app.call_from_thread(self.app.notify, problem, title="windows",
                                      severity="warning")
        self.post_message(self.Loaded(windows))

    async def set_windows(self, windows: list[Window]) -> None:
        self.loading = False
        await self.remove_children()
        await self.mount_all(WindowGauge(window) for window in windows)

    def gauges(self) -> list[WindowGauge]:
        return list(self.query(WindowGauge).results(WindowGauge))

    def show_counts(self, counts: dict[str, int], errors: dict[str, str] | None = None) -> None:
        """Fill each gauge; a tokenizer that failed to load says why instead of counting."""
        for gauge in self.gauges():
            name = gauge.window.tokenizer
            gauge.set_used(counts.get(name), (errors or {}).get(name))
