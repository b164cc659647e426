"""Exports and saves: safe names, no overwrites, and nothing on the server's disk when served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DirectoryTree, Input

from ctxlab.core.samples import get_sample
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.delivery import SERVED_FILE_ENV, safe_filename, unused_path

SIZE = (120, 36)
SAFE = re.compile(r"[A-Za-z0-9._-]+")


@pytest.mark.parametrize("parts", [
    ("ctxlab", "lesson 2: Cut from the head", "smollm2"),
    ("ctxlab", "notes", "hf:HuggingFaceTB/SmolLM2-135M"),
    ("ctxlab", "../../etc/passwd", "/models/tok.json"),
    ("ctxlab", "東京 🐉", "o200k_base"),
    ("", "   ", ":::"),
])
def test_export_names_are_safe_on_any_disk(parts) -> None:
    name = safe_filename(*parts, suffix=".svg")
    assert SAFE.fullmatch(name) and name.endswith(".svg") and not name.startswith(".")
    assert "/" not in name and ".." not in name.removesuffix(".svg")


def test_an_existing_export_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "a.svg").write_text("keep")
    (tmp_path / "a-2.svg").write_text("keep")
    assert unused_path(tmp_path, "a.svg") == tmp_path / "a-3.svg"
    assert unused_path(tmp_path, "b.svg") == tmp_path / "b.svg"


def notes(app: CtxlabApp) -> list[str]:
    return [str(n.message) for n in app.notices]


async def test_ctrl_e_twice_writes_two_files_and_says_where(make_app, tmp_path: Path) -> None:
    app = make_app(tokenizers=("o200k_base",))
    app.session.document.name = "my notes: draft 1.txt"
    app.export_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("ctrl+e")
        await pilot.press("ctrl+e")
        written = [tmp_path / "ctxlab-my_notes_draft_1-o200k_base.svg",
                   tmp_path / "ctxlab-my_notes_draft_1-o200k_base-2.svg"]
        for _ in range(100):
            await pilot.pause(0.05)
            if all(p.is_file() for p in written) and len(notes(app)) >= 2:
                break
        assert all(p.read_text("utf-8").startswith("<svg") for p in written)
        assert {f"saved {p}" for p in written} <= set(notes(app))


@pytest.fixture
def served(monkeypatch):
    """The app as textual-serve runs it: ``is_web``, deliveries recorded instead of sent."""
    sent: list[tuple[str, str]] = []

    def deliver_text(self, file, *, save_filename=None, **_):
        sent.append((save_filename, file.read()))

    monkeypatch.setattr(CtxlabApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(CtxlabApp, "deliver_text", deliver_text)
    monkeypatch.delenv(SERVED_FILE_ENV, raising=False)
    return sent


async def test_served_save_and_export_go_to_the_browser(make_app, served, tmp_path,
                                                        monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    app.export_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("ctrl+s")  # no dialog asking for a path on the server
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert len(app.screen_stack) == 1
    assert served[0] == ("fixture.txt", app.session.document.text)
    assert served[1][0] == "ctxlab-fixture-o200k_base.svg" and served[1][1].startswith("<svg")
    assert list(tmp_path.iterdir()) == []  # nothing written on the server


async def test_served_session_opens_samples_and_the_teachers_file_only(
        make_app, served, tmp_path, monkeypatch) -> None:
    teachers = tmp_path / "teacher.txt"
    teachers.write_text("the class's text", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for students", encoding="utf-8")
    monkeypatch.setenv(SERVED_FILE_ENV, str(teachers))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_path(secret)
        await pilot.pause()
        assert app.session.document.text != "not for students"
        assert "served session opens the bundled samples only" in notes(app)[-1]
        sample = get_sample("haystack").path
        app.open_path(sample)
        assert app.session.document.path == sample
        app.open_path(teachers)
        assert app.session.document.text == "the class's text"
        await pilot.press("o")
        await pilot.pause()
        assert not app.screen.query(DirectoryTree) and not app.screen.query(Input)
