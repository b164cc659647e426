"""The document stays byte for byte what the user gave until the user types."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.events import Paste
from textual.widgets import TextArea
from textual.widgets.text_area import Document

from ctxlab.tui.editor_text import EditorText
from ctxlab.tui.screens.choice_screen import ChoiceScreen

SIZE = (120, 40)
SEPARATORS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
              "\u2029"]
EVERY_SEPARATOR = "".join(f"line {i}{sep}" for i, sep in enumerate(SEPARATORS)) + "end\x0c"
texts = st.lists(st.one_of(st.sampled_from(SEPARATORS), st.text("ab é🐉", max_size=4)),
                 max_size=14).map("".join)


def editor_of(text: str) -> tuple[Document, EditorText]:
    document = Document(text)
    return document, EditorText(text, document.lines, document.newline)


@settings(max_examples=300, deadline=None)
@given(text=texts, row=st.integers(0, 20), column=st.integers(0, 8),
       typed=st.text("xy", min_size=1, max_size=3))
def test_typing_changes_only_what_was_typed(text: str, row: int, column: int, typed: str) -> None:
    document, mine = editor_of(text)
    assert mine.lines_match(document.lines) and mine.apply(document.lines) == text
    row = min(row, document.line_count - 1)
    column = min(column, len(document.lines[row]))
    document.replace_range((row, column), (row, column), typed)
    lines = text.splitlines(keepends=True)
    at = sum(len(line) for line in lines[:row]) + column
    assert mine.apply(document.lines) == text[:at] + typed + text[at:]


def test_a_new_line_and_a_deleted_line_keep_the_other_separators() -> None:
    text = "a\x0cb\r\nc\u2028d"
    document, mine = editor_of(text)
    document.replace_range((1, 1), (1, 1), "\r\n")  # Enter at the end of "b" (CRLF editor)
    assert mine.apply(document.lines) == "a\x0cb\r\n\r\nc\u2028d"
    document.replace_range((1, 1), (3, 0), "")  # join "b" and "c" again
    assert mine.apply(document.lines) == "a\x0cbc\u2028d"


async def test_edit_mode_and_save_without_typing_keep_every_byte(make_app, tmp_path) -> None:
    """`e` then ctrl+s with no keystroke: the file written is the file read (it lost 72 FFs)."""
    source = tmp_path / "licence.txt"
    source.write_bytes(EVERY_SEPARATOR.encode("utf-8"))
    app = make_app("")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.open_path(source)
        await app.settled()
        before = app.session.document.version
        await pilot.press("e")
        await app.settled()
        await pilot.press("escape", "e")
        await app.settled()
        assert app.session.document.text == EVERY_SEPARATOR
        assert app.session.document.version == before  # nothing was re-tokenized
        copy = tmp_path / "copy.txt"
        app.save_text(str(copy))
        assert copy.read_bytes() == EVERY_SEPARATOR.encode("utf-8")
        editor = app.query_one("#editor", TextArea)
        editor.move_cursor((0, 4))
        await pilot.press("e", "e")  # editor still focused: types "ee" after "line"
        await app.settled()
        assert app.session.document.text == EVERY_SEPARATOR.replace("line 0", "lineee 0", 1)


async def type_into_the_document(app, pilot, keys: str = "xy") -> None:
    await pilot.press("e", *keys, "escape")
    await app.settled()
    assert app.session.document.unsaved


async def test_quit_with_unsaved_edits_asks_and_cancel_keeps_them(make_app) -> None:
    app = make_app("hello\n")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await type_into_the_document(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen) and "unsaved" in app.screen.question
        await pilot.press("escape")  # cancel
        await pilot.pause()
        assert app.is_running and app.session.document.text == "xyhello\n"
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#choice-discard")
        await pilot.pause()
    assert app.return_code == 0


async def test_opening_a_file_or_a_dropped_path_over_edits_asks_first(make_app, tmp_path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("other text\n", encoding="utf-8")
    app = make_app("hello\n")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await type_into_the_document(app, pilot)
        app.post_message(Paste(str(other)))  # a file dragged onto the terminal
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.document.text == "xyhello\n"
        app.open_sample("dragon_story")
        await pilot.pause()
        await pilot.click("#choice-save")
        await pilot.pause()
        saved = tmp_path / "kept.txt"
        save_input = app.screen.query_one("#save-path")
        save_input.value = str(saved)
        await pilot.press("enter")
        await app.settled()
        assert saved.read_text(encoding="utf-8") == "xyhello\n"
        assert app.session.document.name == "dragon_story.md"  # opened once it was saved
        assert not app.session.document.unsaved


async def test_save_confirms_an_overwrite_and_never_suggests_the_package(make_app,
                                                                       tmp_path) -> None:
    target = tmp_path / "mine.txt"
    target.write_text("precious\n", encoding="utf-8")
    app = make_app("")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.open_sample("dragon_story")
        await app.settled()
        await pilot.press("ctrl+s")
        await pilot.pause()
        suggested = Path(app.screen.query_one("#save-path").value)
        assert suggested.parent == Path.cwd() and suggested.name == "dragon_story.md"
        app.screen.query_one("#save-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen) and "Overwrite" in app.screen.question
        await pilot.press("enter")  # the focused choice is Cancel
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == "precious\n"
        app.save_text(str(target))
        await pilot.pause()
        await pilot.click("#choice-overwrite")
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == app.session.document.text


async def test_a_lossy_decode_is_reported_and_never_written_back_unasked(make_app,
                                                                         tmp_path) -> None:
    """`caf\\xe9` opened shows U+FFFD and says so; saving over it asks; Cancel keeps the bytes."""
    source = tmp_path / "latin1.txt"
    source.write_bytes(b"caf\xe9 au lait\n")
    app = make_app("")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.open_path(source)
        await app.settled()
        assert app.session.document.text == "caf\ufffd au lait\n"
        warnings = [n.message for n in app.notices if n.severity == "warning"]
        assert any("invalid UTF-8 at byte 3" in w and "U+FFFD" in w for w in warnings)
        assert "lossy UTF-8" in str(app.query_one("#status").render())
        app.save_text(str(source))
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen) and "not valid UTF-8" in app.screen.question
        await pilot.press("enter")  # the focused choice is Cancel
        await pilot.pause()
        assert source.read_bytes() == b"caf\xe9 au lait\n"
        app.save_text(str(source))
        await pilot.pause()
        await pilot.click("#choice-lossy")  # the explicit choice
        await pilot.pause()
        assert source.read_bytes() == "caf\ufffd au lait\n".encode()
        assert not app.session.document.decoding.lossy  # the file now holds this very text
