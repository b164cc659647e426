"""One snapshot per lesson: the TUI in lesson mode at the step that best shows its point.

Each app opens straight at its step, so no earlier step runs the model. The
dragon step runs SmolLM2 for real (loading it, then one 512-token prompt: 15
to 30 s on a busy two-core machine); without the model its snapshot shows the
lesson's error instead.
The needle grid of lesson 4 takes a minute on two cores, so its snapshot
holds the observation back and shows the step as set up (haystack, narration,
"observing…"); `test_lesson_replays.py` checks the grid itself.
Review the HTML report before --snapshot-update.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import TextArea

from ctxlab.config import Settings
from ctxlab.core.lessons.loader import load_lesson
from ctxlab.tui.lesson_panel import LessonApp

SIZE = (130, 40)


class LessonAt(LessonApp):
    """Lesson mode opened at step ``start``; with ``observe=False`` no step is observed."""

    def __init__(self, name: str, start: int, observe: bool = True) -> None:
        super().__init__(Settings(windows=("gpt-4o",)), load_lesson(name), start)
        self.observe = observe

    def _observe(self, index: int) -> None:
        if self.observe:
            super()._observe(index)

    def _tick(self) -> None:  # a step never observed keeps saying "observing… 0 s"
        if self.observe:
            super()._tick()


async def settle(pilot) -> None:
    """Wait until the step is set up and, when observed, its observation is on screen."""
    app: LessonAt = pilot.app
    while True:
        await app.settled()
        if not app.observe or (app.result is not None and app.result.index == app.step_index):
            break
        await asyncio.sleep(0.01)
    for editor in app.query(TextArea):
        editor.cursor_blink = False
    await pilot.pause()


STEPS = [  # lesson, step index (0-based), observe: the step each snapshot shows
    pytest.param("notepad-sizes", 0, True, id="1-notepad-2k-window-greys-out-page-1"),
    pytest.param("dragon-colour", 1, True, id="2-dragon-cut-from-the-head"),
    pytest.param("tokens-not-words", 0, True, id="3-tokens-numbers-in-five-tokenizers"),
    pytest.param("lost-in-the-middle", 0, False, id="4-needle-grid-set-up"),
    pytest.param("chat-overhead", 0, True, id="5-chat-saying-hi"),
]


@pytest.mark.parametrize(("name", "step", "observe"), STEPS)
def test_lesson_step(snap_compare, name: str, step: int, observe: bool) -> None:
    assert snap_compare(LessonAt(name, step, observe), terminal_size=SIZE, run_before=settle)
