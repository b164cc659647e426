"""`ctxlab serve --lesson dragon-colour` in a real headless Chromium, as a student meets it.

One served lesson, one browser, steps in order: the page draws, keys reach
the app (lesson step, tab switch), ctrl+e arrives as an SVG download, and
closing the tab ends its app process within seconds (it used to linger for a
minute while the model loaded). Slow (a browser and a model load): keep it
to this one test.
"""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from asset_guard import require_asset
from PIL import Image
from served_page import chromium, downloaded, missing_browser, open_app, press, served, wait_for

from ctxlab.core.model.loader import DEFAULT_ASSET

TITLE = "ctxlab · lesson 2: What colour was the dragon?"
EXIT_WITHIN = 8.0  # seconds from closing the tab to its process ending (it was 40-120 s)


@pytest.fixture(scope="module")
def browser_ready() -> None:
    if reason := missing_browser():
        pytest.fail(reason)
    require_asset(DEFAULT_ASSET)  # the lesson's model steps load it as they start


def svg_text(path: Path) -> str:
    """All text drawn in a Textual SVG screenshot (spaces are no-break spaces there)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), root.tag
    return "".join(root.itertext()).replace("\xa0", " ")


def export_svg(driver, downloads: Path) -> str:
    """Press ctrl+e and read the SVG that arrives in the download folder."""
    before = set(downloads.glob("*.svg"))
    press(driver, "e", ctrl=True)
    new = wait_for(lambda: set(downloads.glob("*.svg")) - before, 30, "the SVG export")
    return svg_text(downloaded(downloads, next(iter(new)).name))


def screen_text(driver, downloads: Path, *expected: str, timeout: float = 60) -> str:
    """Export the screen until it shows every ``expected`` string (or ``timeout`` passed).

    The app may still be busy with the previous key (a model load shares two cores), so
    a key's effect is awaited, not assumed.
    """
    deadline = time.monotonic() + timeout
    while True:
        text = export_svg(driver, downloads)
        if all(s in text for s in expected) or time.monotonic() > deadline:
            return text
        time.sleep(1)


def colours_in(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((280, 180))
    return len(image.getcolors(maxcolors=280 * 180))


def test_a_lesson_served_to_chromium(browser_ready, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with served("--lesson", "dragon-colour") as server, chromium(downloads) as driver:
        open_app(driver, server.url)
        assert driver.title == TITLE
        wait_for(lambda: colours_in(driver.get_screenshot_as_png()) > 8, 60,
                 "the terminal to draw the app (a screenshot with more than a few colours)")
        [app_pid] = wait_for(server.app_pids, 10, "the tab's app process")

        first = screen_text(driver, downloads, "step 1 of", "Page 1, in full")
        assert "step 1 of" in first and "Page 1, in full" in first

        press(driver, "n")
        second = screen_text(driver, downloads, "step 2 of", "Cut from the head")
        assert "step 2 of" in second and "Cut from the head" in second, second

        press(driver, "3")
        windows = screen_text(driver, downloads, "· exact")
        assert "· exact" in windows and "Cut from the head" in windows, windows

        app_tab = driver.current_window_handle
        driver.switch_to.new_window("tab")  # keep the browser open; close only the app's tab
        driver.switch_to.window(app_tab)
        driver.close()
        closed = time.monotonic()
        wait_for(lambda: app_pid not in server.app_pids(), EXIT_WITHIN + 25,
                 "the app process to end")
        took = time.monotonic() - closed
        assert took < EXIT_WITHIN, f"app process outlived its tab by {took:.1f} s"
