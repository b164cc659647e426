"""Lesson mode in the TUI: keys step through a lesson and the screen follows each step."""

from __future__ import annotations

import asyncio

from ctxlab.core.lessons.loader import load_lesson
from ctxlab.tui.lesson_panel import LessonApp
from ctxlab.tui.widgets.narration import Narration
from ctxlab.tui.widgets.truncate_panel import TruncatePanel

SIZE = (120, 40)


async def settled_step(app: LessonApp) -> None:
    """Wait for the step's set-up and its observation to reach the screen."""
    while True:
        await app.settled()
        if app.result is not None and app.result.index == app.step_index:
            return
        await asyncio.sleep(0.01)


async def test_keys_step_through_the_notepad_lesson() -> None:
    app = LessonApp(None, load_lesson("notepad-sizes"))
    async with app.run_test(size=SIZE) as pilot:
        await settled_step(app)
        panel = app.query_one(TruncatePanel)
        narration = app.query_one(Narration)
        assert (app.step_index, panel.budget, panel.strategy) == (0, 2048, "keep-end")
        assert app.session.tokenizer == "o200k_base"
        assert "A 2K notepad" in narration.text and "red gone" in narration.text
        assert app.query_one("#tabs").active == "truncate"

        await pilot.press("n")
        await settled_step(app)
        assert (app.step_index, panel.budget) == (1, 8192)
        assert "An 8K notepad" in narration.text

        await pilot.press("p", "p")  # stepping back past the start stays on step 1
        await settled_step(app)
        assert (app.step_index, panel.budget) == (0, 2048)
        assert app.result.observation["facts"]["red"] is False


async def test_a_token_lesson_step_sets_the_compare_tab() -> None:
    app = LessonApp(None, load_lesson("tokens-not-words"))
    async with app.run_test(size=SIZE):
        await settled_step(app)
        assert app.query_one("#tabs").active == "compare"
        assert app.session.compare == ["r50k_base", "cl100k_base", "o200k_base", "mistral-v1",
                                       "smollm2"]
        assert app.session.document.text.startswith("In 2024 the toll rose")
        assert "mistral-v1" in app.query_one(Narration).text


async def test_the_last_step_says_the_lesson_ended_and_the_palette_starts_another() -> None:
    from ctxlab.tui.lesson_panel import LessonCommands

    lesson = load_lesson("tokens-not-words")
    app = LessonApp(None, lesson, start=len(lesson.steps) - 1)
    async with app.run_test(size=SIZE):
        await settled_step(app)
        narration = app.query_one(Narration)
        assert "The end of this lesson" in narration.text and "n next" not in narration.text
        assert LessonCommands in app.COMMANDS
        await app.start_lesson(load_lesson("notepad-sizes"))
        await settled_step(app)
        assert (app.lesson.name, app.step_index) == ("notepad-sizes", 0)
        assert "A 2K notepad" in narration.text and "The end" not in narration.text
