"""Write the README's screenshots, drawn by the app itself, headless.

``tui.svg``: the dragon story sample in the token view, whitespace shown.
``teaching.svg``: lesson mode on ``dragon-colour`` at "Cut from the head": the
model's answers beside the page it could not see, greyed out. That runs
SmolLM2 for the lesson's first two steps (a minute or so on two cores).
``scaling.svg``: lesson mode on ``scaling-laws`` at "Chinchilla's own budget": the
map of L(N, D) with the reference models beside the narration (no model runs).

Run: ``python benchmarks/screenshot.py [DIR] [NAME.svg ...]`` (default ``docs``, all three).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual.worker import WorkerCancelled

from ctxlab.config import Settings
from ctxlab.core.documents import read_sample
from ctxlab.core.lessons.loader import load_lesson
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.lesson_panel import LessonApp
from ctxlab.tui.widgets.narration import Narration
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.truncate_panel import TruncatePanel

SETTINGS = Settings(windows=("gpt-4o",))  # the README's windows, whatever the local config says
TEACHING_SIZE = (186, 44)
NARRATION_WIDTH = 124  # the answer lines are up to ~120 cells; the default 44 clips them


async def settled(app: CtxlabApp) -> None:
    """Wait for every worker, again when some end cancelled (a step restarts its workers)."""
    while True:
        try:
            await app.settled()
            return
        except WorkerCancelled:
            continue


async def token_view(out: Path) -> None:
    sample = read_sample("dragon_story")
    app = CtxlabApp(SETTINGS, text=sample.text, name=sample.name, path=sample.path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settled(app)
        await pilot.press(*["right"] * 12, "w")
        await settled(app)
        app.save_screenshot(out.name, str(out.parent))


async def teaching(out: Path) -> None:
    lesson = load_lesson("dragon-colour")
    app = LessonApp(SETTINGS, lesson)
    async with app.run_test(size=TEACHING_SIZE) as pilot:
        await settled(app)  # step 1's answers first: the model runs one step at a time
        await pilot.press("n")
        await settled(app)
        app.query_one(Narration).styles.width = NARRATION_WIDTH
        await pilot.pause()
        view = app.query_one(TruncatePanel).query_one(TokenView)
        dragon = app.session.document.text.find(lesson.watch["red"][0])
        view.scroll_to(y=view.paint.layout.row_of_char(dragon) - 1, animate=False,
                       immediate=True)  # the greyed-out dragon above, Orla in view below
        await pilot.pause()
        app.save_screenshot(out.name, str(out.parent))


async def scaling(out: Path) -> None:
    app = LessonApp(SETTINGS, load_lesson("scaling-laws"), 1)
    async with app.run_test(size=TEACHING_SIZE) as pilot:
        await settled(app)
        app.query_one(Narration).styles.width = 96
        await pilot.pause()
        app.save_screenshot(out.name, str(out.parent))


async def main(docs: Path, only: list[str]) -> None:
    for name, draw in (("tui.svg", token_view), ("teaching.svg", teaching),
                       ("scaling.svg", scaling)):
        if only and name not in only:
            continue
        await draw(docs / name)
        print(f"wrote {docs / name}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"), sys.argv[2:]))
