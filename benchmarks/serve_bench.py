"""What a served classroom costs: first paint, memory per session, exit after a tab closes.

Starts ``ctxlab serve`` on a free localhost port and drives Debian's headless
Chromium (the browser test's helpers, ``tests/serve/served_page.py``):

- time from ``driver.get`` to the terminal's first bytes, and to the app idle;
- memory of each tab's app process once idle (RSS, and PSS, which splits shared
  pages between processes), for a sample session and a lesson (its model loaded);
- seconds from closing a tab, while its model is working, to its process ending.

It also writes the README's picture of a served lesson, ``docs/serve.png``.

Run: ``python benchmarks/serve_bench.py`` (needs chromium and chromium-driver).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "serve"))
from served_page import chromium, missing_browser, open_app, press, served, wait_for  # noqa: E402

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "serve.png"
IDLE_FOR = 3.0  # seconds without CPU use that count as "settled"


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_idle(pid: int, timeout: float = 300) -> float:
    """Seconds until ``pid`` used no CPU for ``IDLE_FOR`` seconds."""
    start = time.perf_counter()
    last, since = cpu_ticks(pid), time.perf_counter()
    while time.perf_counter() - start < timeout:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= IDLE_FOR:
            return since - start
    return float("nan")


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        values[key] = int(value.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def session(args: tuple[str, ...], tabs: int, screenshot: Path | None = None) -> None:
    downloads = Path(tempfile.mkdtemp())
    with served(*args, max_sessions=tabs) as server, chromium(downloads) as driver:
        pid = 0
        for n in range(tabs):
            if n:
                driver.switch_to.new_window("tab")
            before = set(server.app_pids())
            paint = open_app(driver, server.url)
            [pid] = wait_for(lambda b=before: set(server.app_pids()) - b, 30, "the app process")
            idle = wait_idle(pid)
            rss, pss = memory_mb(pid)
            print(f"  tab {n + 1}: first paint {paint:5.2f} s · idle after {idle:5.1f} s · "
                  f"RSS {rss:5.0f} MB · PSS {pss:5.0f} MB")
        if screenshot is not None:
            driver.save_screenshot(str(screenshot))
            print(f"  wrote {screenshot}")
        if args[0] == "--lesson":
            press(driver, "n")  # the next step's model run starts; close the tab during it
            time.sleep(2)
        driver.close()
        closed = time.perf_counter()
        wait_for(lambda: pid not in server.app_pids(), 120, "the app to end")
        print(f"  closed the last tab: its process ended {time.perf_counter() - closed:4.2f} s "
              "later")


def main() -> None:
    if reason := missing_browser():
        raise SystemExit(reason)
    print("ctxlab serve --sample dragon_story, two tabs:")
    session(("--sample", "dragon_story"), tabs=2)
    print("ctxlab serve --lesson dragon-colour, one tab:")
    session(("--lesson", "dragon-colour"), tabs=1, screenshot=SCREENSHOT)


if __name__ == "__main__":
    main()
