"""A panel where a lesson (or any caller) explains what the screen is showing."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Markdown


class Narration(VerticalScroll):
    """Hidden until something narrates; `say(None)` hides it again."""

    DEFAULT_CSS = """
    Narration { dock: right; width: 44; display: none; border-left: thick $accent; padding: 0 1; }
    Narration.-shown { display: block; }
    """

    text = ""  # what is being said now (lessons and tests read it)

    def compose(self):
        yield Markdown(id="narration-text")

    def say(self, markdown: str | None) -> None:
        self.set_class(markdown is not None, "-shown")
        self.query_one(Markdown).update(markdown or "")
        self.text = markdown or ""
