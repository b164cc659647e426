"""TUI fixtures: an app factory on a small fixed text (samples may change; snapshots must not)."""

from __future__ import annotations

import pytest

from ctxlab.config import Settings
from ctxlab.tui.app import CtxlabApp

FIXED_TEXT = (
    "The dragon counted 1,024 coins before dawn.\n"
    "def hoard(coins):\n\treturn sum(coins)  # 🐉 guarded\n"
    "東京の龍は眠らない。 مرحبا بالعالم\n"
    "Tokenizers disagree about words like unbelievably and antidisestablishmentarianism.\n"
)


@pytest.fixture
def make_app():
    """Build an app that counts only fast windows (gpt-4o plus the teaching sizes)."""

    def make(text: str = FIXED_TEXT, **overrides) -> CtxlabApp:
        settings = Settings(**{"windows": ("gpt-4o",), **overrides})
        return CtxlabApp(settings, text=text, name="fixture.txt")

    return make
