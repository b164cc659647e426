"""Every lesson runs headless and still shows what its narration claims.

The model lessons (2 and 4) run SmolLM2 for real, on short contexts so the
whole file stays within about a minute on two cores. The Gemma 3 lessons
(7 and 9) run two models over long grids, minutes of CPU: here their
recordings are checked against their claims, and ``ctxlab lesson NAME
--print --verify`` replays them for real.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from asset_guard import require_asset

from ctxlab.core.lessons.loader import list_lessons, load_lesson
from ctxlab.core.lessons.runner import (
    differences,
    needs_model,
    read_recording,
    run_lesson,
    unmet,
)

RECORDED_ONLY = ("bigger-brain", "real-sliding-window")  # replayed by --verify, not here
_played: dict[str, list] = {}


def played(name: str) -> list:
    """A lesson's step results, run once per test session."""
    if name not in _played:
        lesson = load_lesson(name)
        if needs_model(lesson):
            require_asset("smollm2-135m-instruct-q4_1")
        _played[name] = list(run_lesson(lesson))
    return _played[name]


@pytest.mark.parametrize("name", [lesson.name for lesson in list_lessons()
                                  if lesson.name not in RECORDED_ONLY])
def test_lesson_replays_its_recording_and_keeps_its_claims(name):
    lesson = load_lesson(name)
    recorded = read_recording(lesson)
    for result in played(name):
        assert result.broken == [], (result.step.title, result.broken)
        assert differences(recorded, result) == [], result.step.title
        assert result.lines, result.step.title


@pytest.mark.parametrize("name", RECORDED_ONLY)
def test_long_lessons_recordings_cover_every_step_and_keep_their_claims(name):
    lesson = load_lesson(name)
    steps = read_recording(lesson)["steps"]
    assert [s["title"] for s in steps] == [step.title for step in lesson.steps]
    for step, recorded in zip(lesson.steps, steps, strict=True):
        assert unmet(step.expect, recorded["observation"]) == [], step.title


def test_the_dragon_is_red_only_while_page_one_is_in_view():
    answers = {r.step.get("strategy"): r.observation["answers"] for r in played("dragon-colour")}
    assert answers["full"]["red"]["recalled"] and answers["full"]["red"]["in_view"]
    for cut in ("keep-end", "cut-middle", "sliding"):
        assert not answers[cut]["red"]["in_view"]
        assert not answers[cut]["red"]["recalled"], answers[cut]["red"]["answer"]
    # Cutting from the head keeps the innkeeper's introduction, and the model still finds her.
    assert answers["keep-end"]["Orla"] == {**answers["keep-end"]["Orla"], "recalled": True,
                                           "in_view": True}


def test_the_notepad_loses_page_one_below_32k():
    facts = {r.step.title: r.observation["facts"]["red"] for r in played("notepad-sizes")}
    assert facts == {"A 2K notepad": False, "An 8K notepad": False, "A 32K notepad": True,
                     "A 128K notepad": True, "Keep the head instead": True}


def lesson_cli(*args: str):
    return subprocess.run([sys.executable, "-m", "ctxlab", "lesson", *args],
                          capture_output=True, text=True, timeout=120)


def test_print_verify_passes_and_a_tampered_recording_fails(tmp_path):
    ok = lesson_cli("chat-overhead", "--print", "--verify")
    assert ok.returncode == 0, ok.stderr
    assert "[3/3] A real help-desk chat" in ok.stdout and "verified" in ok.stderr
    lesson = load_lesson("chat-overhead")
    shutil.copy(lesson.path, tmp_path / "chat.toml")
    record = lesson.record_path.read_text(encoding="utf-8")
    (tmp_path / "chat.record.json").write_text(record.replace('"chat": 9', '"chat": 8', 1))
    bad = lesson_cli(str(tmp_path / "chat.toml"), "--print", "--verify", "--quiet")
    assert bad.returncode == 1
    assert "differs from the recording: counts.cl100k_base.chat: recorded 8, now 9" in bad.stderr


def test_bad_lesson_arguments_fail_with_one_line():
    for args, message in [(("nope", "--print"), "no lesson 'nope'"),
                          (("--print",), "--print needs a lesson name"),
                          (("1", "--verify"), "--verify and --record work with --print"),
                          (("2", "--print", "--verify", "-m", "gemma3-270m"), "drop --model"),
                          (("2", "--print", "--model", "nope"), "unknown model 'nope'")]:
        out = lesson_cli(*args)
        assert out.returncode == 2, args
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], out.stderr


def test_record_refuses_when_a_claim_breaks(tmp_path):
    lesson = load_lesson("chat-overhead")
    text = lesson.path.read_text(encoding="utf-8").replace("raw = 2, chat = 9", "raw = 2, chat = 3")
    (tmp_path / "chat.toml").write_text(text, encoding="utf-8")
    out = lesson_cli(str(tmp_path / "chat.toml"), "--print", "--record", "--quiet")
    assert out.returncode == 1
    assert "claim does not hold: counts.cl100k_base.chat: expected 3, observed 9" in out.stderr
    assert not (tmp_path / "chat.record.json").exists()
