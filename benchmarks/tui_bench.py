"""What a TUI user waits for: key latency while a 1 MB document is analysed, per backend.

Run: ``python benchmarks/tui_bench.py [--backends o200k_base,deepseek-v4,...]``.

The app runs with the default settings (the default windows, so every window's
tokenizer counts too) on ~1 MB of real multilingual text built from the bundled
samples. Keys come from a separate thread through the driver, as a terminal's
input thread sends them, every 50 ms. A key's latency runs from that send until
the UI thread has handled it and drawn the visible rows. Goal: p99 < 100 ms.

1. view: the token cursor moves (``right``) while the worker tokenizes the whole
   document with the backend (the user just pressed ``t`` to switch to it).
2. typing: edit mode, a character per key at the end of the document; the
   latency is until the editor holds it. Then the time until the token view
   shows tokens of the final text ("settle"), and how long ``e`` took to open
   the editor on the whole document.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time

from textual import events

from ctxlab.config import Settings
from ctxlab.core.samples import list_samples
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.widgets.token_view import TokenView

SIZE = (160, 45)
DOC_BYTES = 1 << 20
KEY_INTERVAL = 0.05
BACKENDS = ("o200k_base", "deepseek-v4", "claude-legacy", "smollm2", "mistral-v1")


def document(n_bytes: int = DOC_BYTES) -> str:
    """Every bundled sample in turn (prose, CJK, Arabic, code, JSON, chat) until ``n_bytes``."""
    texts = [sample.path.read_text(encoding="utf-8") for sample in list_samples()]
    parts, size, turn = [], 0, 0
    while size < n_bytes:
        text = texts[turn % len(texts)]
        parts.append(text)
        size += len(text.encode("utf-8"))
        turn += 1
    return "".join(parts)


def draw_visible(view) -> None:
    """Render the rows on screen, as the compositor does (token view or editor)."""
    for y in range(view.scrollable_content_region.height):
        view.render_line(y)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Typist:
    """Sends keys from its own thread through the driver, stamping each send."""

    def __init__(self, app: CtxlabApp, key: str, character: str | None) -> None:
        self.app, self.key, self.character = app, key, character
        self.sent: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        driver = self.app._driver  # the driver a terminal's input thread feeds
        while not self._stop.is_set():
            self.sent.append(time.perf_counter())
            driver.send_message(events.Key(self.key, self.character))
            time.sleep(KEY_INTERVAL)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def watch(typist: Typist, handled, busy, paint=lambda: None) -> list[float]:
    """Latency of each key, observed from the UI thread, for as long as ``busy()``.

    ``handled()`` must be cheap (it is polled every millisecond on the UI thread, as
    the app's own work is); when it moves on, ``paint()`` draws once, as a refresh would.
    """
    latencies: list[float] = []
    typist.start()
    while busy() or len(latencies) < len(typist.sent):
        done = min(handled(), len(typist.sent))
        if done > len(latencies):
            paint()
            now = time.perf_counter()
            latencies += [now - sent for sent in typist.sent[len(latencies):done]]
        if not busy() and typist.sent and not typist._stop.is_set():
            typist.stop()
        await asyncio.sleep(0.001)
    return latencies


async def bench_view(app: CtxlabApp, backend: str) -> tuple[list[float], float]:
    view = app.query_one("#token-view", TokenView)
    if app.session.tokenizer == backend:  # switch away, so switching to it is new work
        app.set_tokenizer("cl100k_base" if backend != "cl100k_base" else "o200k_base")
        await app.settled()
    app.session.spans.pop(backend, None)  # as the first time it is chosen
    view.move_cursor(0)
    await app.settled()
    start = view.cursor
    typist = Typist(app, "right", None)
    started = time.perf_counter()
    app.set_tokenizer(backend)

    def busy() -> bool:
        return backend not in app.session.spans and backend not in app.session.errors

    latencies = await watch(typist, lambda: view.cursor - start, busy,
                            lambda: draw_visible(view))
    return latencies, time.perf_counter() - started


async def bench_typing(app: CtxlabApp, pilot,
                       keys: int = 40) -> tuple[list[float], float, float]:
    """Key latencies while typing, then seconds until the tokens settle and until the
    editor had opened (``e`` on the whole document)."""
    editor = app.query_one("#editor")
    started = time.perf_counter()
    await pilot.press("e")
    while not editor.has_focus:
        await asyncio.sleep(0.001)
    draw_visible(editor)
    opened = time.perf_counter() - started
    editor.move_cursor(editor.document.end)
    base = len(editor.document.lines[-1])
    typist = Typist(app, "x", "x")

    def handled() -> int:  # the keys land on the last line: joining 1 MB per poll would not do
        return len(editor.document.lines[-1]) - base

    latencies = await watch(typist, handled, lambda: len(typist.sent) < keys,
                            lambda: draw_visible(editor))
    started = time.perf_counter()
    view = app.query_one("#token-view", TokenView)
    final = editor.text
    while view.spans is None or view.spans.text != final:
        await asyncio.sleep(0.005)
    draw_visible(view)
    settle = time.perf_counter() - started
    await pilot.press("escape")
    return latencies, settle, opened


def report(label: str, latencies: list[float], extra: str) -> None:
    print(f"{label:<34} keys {len(latencies):4d}  p50 {statistics.median(latencies) * 1000:7.1f} ms"
          f"  p99 {percentile(latencies, 0.99) * 1000:7.1f} ms  max "
          f"{max(latencies) * 1000:7.1f} ms  {extra}", flush=True)


async def main(backends: list[str]) -> None:
    text = document()
    print(f"document: {len(text.encode('utf-8')):,} bytes, {len(text):,} chars; "
          f"default windows; keys every {KEY_INTERVAL * 1000:.0f} ms through the driver")
    app = CtxlabApp(Settings(), text=text, name="1mb-samples.txt")
    async with app.run_test(size=SIZE) as pilot:
        started = time.perf_counter()
        await app.settled()
        print(f"first analysis settled in {time.perf_counter() - started:.1f} s")
        for backend in backends:
            latencies, seconds = await bench_view(app, backend)
            report(f"view keys while {backend} runs", latencies, f"(analysis {seconds:.1f} s)")
            await app.settled()
        app.set_tokenizer(backends[0])
        await app.settled()
        latencies, settle, opened = await bench_typing(app, pilot)
        report(f"typing, {backends[0]}", latencies, f"(tokens settle {settle * 1000:.0f} ms; "
               f"edit mode opened in {opened * 1000:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    asyncio.run(main(parser.parse_args().backends.split(",")))
