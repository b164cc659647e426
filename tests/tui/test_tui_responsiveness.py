"""What kept keys waiting: work the UI thread did that grows with the document or the vocabulary.

`benchmarks/tui_bench.py` measures the latency; these tests pin down each cause it found.
"""

from __future__ import annotations

import inspect
import threading

import pytest
from textual.app import App, ComposeResult
from textual.widgets.text_area import WrappedDocument

from ctxlab.core.tokenizers import registry
from ctxlab.core.tokenizers.elsewhere import ElsewhereTokenizer
from ctxlab.tui.widgets.editor import DocumentEditor
from ctxlab.tui.widgets.inspector import LOADING, Inspector
from ctxlab.tui.widgets.truncate_panel import TruncatePanel

SIZE = (120, 40)


@pytest.fixture
def no_vocabulary_loaded(monkeypatch) -> list[tuple[str, bool]]:
    """A registry holding nothing yet; returns the loads made, each with 'on the UI thread?'."""
    monkeypatch.setattr(registry, "_cache", {})
    loads: list[tuple[str, bool]] = []
    load = registry._load

    def recorded(key: str, fetch: bool):
        loads.append((key, threading.current_thread() is threading.main_thread()))
        return load(key, fetch)

    monkeypatch.setattr(registry, "_load", recorded)
    return loads


async def test_the_ui_process_never_loads_a_vocabulary(make_app, no_vocabulary_loaded) -> None:
    """Loading one holds the GIL (o200k 0.3 s, deepseek-v4 0.7 s), so the inspector's lookup
    on the UI thread froze every key: tui_bench's 854 ms p99. Tokens, counts, the inspector
    and the Truncate tab's re-encoding all come from the helper process instead."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        inspector = app.query_one(Inspector)
        await pilot.press("right", "right")
        spans, at = app.session.spans["o200k_base"], app.query_one("#token-view").cursor
        assert inspector.fact("id") == str(int(spans.ids[at]))
        assert inspector.fact("text") == repr(spans.token_text(at))
        await app.settled()
        piece, raw = ElsewhereTokenizer("o200k_base").pieces([int(spans.ids[at])])[0]
        assert inspector.fact("piece") == f"'{piece}'"
        assert inspector.fact("bytes") == raw.hex(" ")
        await pilot.press("t", "4")  # another tokenizer, and a cut that re-encodes the kept text
        await app.settled()
        assert len(app.session.spans) >= 2 and app.query_one(TruncatePanel).result is not None
    assert no_vocabulary_loaded == []


class InspectorApp(App):
    """The inspector alone: nothing else in the app re-inspects while the test waits."""

    def compose(self) -> ComposeResult:
        yield Inspector()

    async def settled(self, pilot) -> None:
        await self.workers.wait_for_complete()
        await pilot.pause()  # the worker's state change, handled


async def test_the_inspector_says_a_piece_is_being_looked_up_or_why_it_cannot_be(
        no_vocabulary_loaded) -> None:
    spans = ElsewhereTokenizer("o200k_base").encode("dragons hoard 🐉 gold")
    app = InspectorApp()
    async with app.run_test(size=SIZE) as pilot:
        inspector = app.query_one(Inspector)
        inspector.show_token(spans, "o200k_base", 4)  # " \xf0\x9f": a space and half a dragon
        assert inspector.fact("piece") == LOADING and inspector.fact("bytes") == LOADING
        assert inspector.fact("kind") == "part of one character's bytes (3 tokens share it)"
        await app.settled(pilot)
        assert inspector.fact("piece") == r"' \xf0\x9f'" and inspector.fact("bytes") == "20 f0 9f"
        inspector.show_token(spans, "o200k_base", 7)  # its neighbours came with that lookup
        assert inspector.fact("piece") == "' gold'"
        inspector.show_token(spans, "no-such-tokenizer", 0)
        await app.settled(pilot)
        assert inspector.fact("piece").startswith("(vocabulary not loaded: unknown tokenizer")
        assert inspector.fact("id") == str(int(spans.ids[0])) and app.is_running


class EditorApp(App):
    def compose(self) -> ComposeResult:
        yield DocumentEditor(soft_wrap=True)


def rows_of(editor: DocumentEditor) -> int:
    fresh = WrappedDocument(editor.document, editor.wrap_width, editor.indent_width)
    return sum(len(offsets) + 1 for offsets in fresh._wrap_offsets)


async def test_the_editor_remembers_its_text_and_height_only_until_the_next_change() -> None:
    """TextArea joined every line and summed every row once per drawn row (300 ms a key on
    1 MB); the editor computes each once per change, and no kind of change may be missed."""
    text = "a dragon line that is long enough to wrap " * 6 + "\n" + "short\r\n" * 3 + "end"
    app = EditorApp()
    async with app.run_test(size=(60, 20)) as pilot:
        editor = app.query_one(DocumentEditor)
        editor.load_text(text)
        editor.focus()
        await pilot.pause()
        steps = [
            lambda: editor.insert("🐉 fire " * 12),
            lambda: pilot.resize_terminal(40, 20),
            lambda: pilot.press("enter"),
            lambda: pilot.press("backspace"),
            lambda: editor.delete((0, 0), (1, 0)),
            lambda: editor.replace("new\nlines\n", (0, 0), (0, 3)),
            lambda: editor.undo(),
            lambda: editor.undo(),
            lambda: editor.redo(),
            lambda: editor.load_text("fresh text\n" * 5),
        ]
        for step in steps:
            outcome = step()
            if inspect.isawaitable(outcome):
                await outcome
            await pilot.pause()
            assert editor.text == editor.document.newline.join(editor.document.lines)
            assert editor.wrapped_document.height == rows_of(editor)
