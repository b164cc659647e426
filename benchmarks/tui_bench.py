"""Headless TUI timings: 1 MB load to first paint, one page scroll, keystroke to updated view.

Run: ``python benchmarks/tui_bench.py``. Targets: < 1 s, < 16 ms, < 50 ms. The
tokenizer is loaded before timing (the app loads it once at start-up); "paint"
means the token view holds the new tokens and has drawn every visible row.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from textual import events

from ctxlab.config import Settings
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.widgets.token_view import TokenView

SIZE = (120, 40)
PARAGRAPH = ("The dragon of Ashvale slept on a hoard of copper coins, and nobody in the valley "
             "could remember a time before it. 龍は眠る。 🐉 Tokens are not words; ")


def document(n_chars: int) -> str:
    lines = []
    while sum(map(len, lines)) < n_chars:
        lines.append(PARAGRAPH * 3 + "\n")
    return "".join(lines)[:n_chars]


def draw_visible(view: TokenView) -> None:
    for y in range(view.scrollable_content_region.height):
        view.render_line(y)


async def wait_for_tokens(view: TokenView, text: str) -> None:
    while view.spans is None or view.spans.text != text:
        await asyncio.sleep(0.001)


async def bench_load(app: CtxlabApp) -> float:
    big = document(1 << 20)
    view = app.query_one("#token-view", TokenView)
    started = time.perf_counter()
    app.set_document(big, "1mb.txt")
    await wait_for_tokens(view, big)
    draw_visible(view)
    return time.perf_counter() - started


async def bench_scroll(app: CtxlabApp) -> float:
    view = app.query_one("#token-view", TokenView)
    page = view.scrollable_content_region.height
    times = []
    for step in range(1, 31):
        started = time.perf_counter()
        view.scroll_to(y=step * page, animate=False, immediate=True)
        draw_visible(view)  # every row is new: an LRU miss
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bench_keystroke(app: CtxlabApp, pilot) -> tuple[float, int]:
    text = document(40_000)
    app.set_document(text, "10k.txt")
    await app.settled()
    tokens = len(app.session.spans[app.session.tokenizer])
    await pilot.press("e")
    editor = app.query_one("#editor")
    editor.move_cursor(editor.document.end)
    view = app.query_one("#token-view", TokenView)
    times = []
    for _ in range(10):
        await app.settled()
        expected = editor.text + "x"
        started = time.perf_counter()
        app.post_message(events.Key("x", "x"))
        await wait_for_tokens(view, expected)
        draw_visible(view)
        times.append(time.perf_counter() - started)
    return statistics.median(times), tokens


async def main() -> None:
    app = CtxlabApp(Settings(windows=("gpt-4o",)), text="warm up the tokenizer")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        load = await bench_load(app)
        await app.settled()
        scroll = await bench_scroll(app)
        keystroke, tokens = await bench_keystroke(app, pilot)
    print(f"1 MB document to first painted token view: {load * 1000:7.1f} ms  (target < 1000)")
    print(f"scroll one page (median of 30):            {scroll * 1000:7.2f} ms  (target < 16)")
    print(f"keystroke to updated view, {tokens:,} tokens: "
          f"{keystroke * 1000:7.1f} ms  (target < 50)")


if __name__ == "__main__":
    asyncio.run(main())
