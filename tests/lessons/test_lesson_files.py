"""Lesson files: every bundled lesson loads, and a malformed one fails with one clear line."""

from __future__ import annotations

import pytest

from ctxlab.core.lessons.documents import questions, sample_text, section_coverage, sections
from ctxlab.core.lessons.loader import SHOWS, LessonError, list_lessons, load_lesson

GOOD_STEP = ('title = "T"\nnarration = "N"\nshow = "tokens"\ntext = "hi"\n'
             'tokenizers = ["o200k_base"]\n')


def write(tmp_path, body: str):
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_nine_lessons_ship_in_order_with_recordings():
    lessons = list_lessons()
    assert [lesson.number for lesson in lessons] == list(range(1, 10))
    assert [lesson.name for lesson in lessons] == [
        "notepad-sizes", "dragon-colour", "tokens-not-words", "lost-in-the-middle",
        "chat-overhead", "what-is-a-parameter", "bigger-brain", "scaling-laws",
        "real-sliding-window"]
    for lesson in lessons:
        assert lesson.record_path.is_file(), lesson.name
        assert all(step.show in SHOWS and step.narration for step in lesson.steps)


def test_lessons_are_found_by_name_number_or_path(tmp_path):
    assert load_lesson("2").name == "dragon-colour"
    assert load_lesson("chat-overhead").number == 5
    path = write(tmp_path, f"title = 'Mine'\n[[step]]\n{GOOD_STEP}")
    assert load_lesson(str(path)).steps[0].get("tokenizers") == ["o200k_base"]


def test_defaults_apply_to_every_step_and_steps_override_them():
    steps = load_lesson("notepad-sizes").steps
    assert {s.get("document") for s in steps} == {"dragon_story"}
    assert [s.get("strategy") for s in steps] == ["keep-end", "keep-end", "keep-end", "keep-end",
                                                  "keep-start"]


@pytest.mark.parametrize(("body", "message"), [
    ("title = 'x'\n", "at least one [[step]]"),
    (f"title = 'x'\n[[step]]\n{GOOD_STEP}colour = 'red'\n", "unknown key(s) colour"),
    (f"title = 'x'\n[[step]]\n{GOOD_STEP.replace('tokens', 'dance', 1)}", "show = 'dance'"),
    (f"[[step]]\n{GOOD_STEP}", "needs a title"),
    ("title = [", "not a readable lesson file"),
])
def test_malformed_lessons_say_what_is_wrong(tmp_path, body, message):
    with pytest.raises(LessonError) as caught:
        load_lesson(str(write(tmp_path, body)))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_lesson_lists_the_choices():
    with pytest.raises(LessonError, match="1 notepad-sizes.*5 chat-overhead"):
        load_lesson("dragons")


def test_the_answer_key_is_stripped_and_the_questions_paired_with_it():
    story = sample_text("dragon_story")
    assert "<!--" not in story and "answers:" not in story
    assert story.rstrip().endswith("3. How many coins was the bridge toll?")
    asked = questions("dragon_story")
    assert [(q.text, q.answer) for q in asked] == [
        ("What colour was the dragon?", "red"),
        ("What was the innkeeper's name?", "Orla"),
        ("How many coins was the bridge toll?", "7"),
    ]


def test_sections_and_their_coverage_follow_the_kept_characters():
    text = "# T\n\n## One\n\nalpha\n\n## Two\n\nbeta\n"
    names = [s.name for s in sections(text)]
    assert names == ["title", "One", "Two"]
    two = sections(text)[2]
    assert section_coverage(text, [(two.start, len(text))]) == {
        "title": "gone", "One": "gone", "Two": "whole"}
    assert section_coverage(text, [(0, text.index("pha"))])["One"] == "part"
