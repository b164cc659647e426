"""Claims and recordings: what counts as a lesson still showing what it says."""

from __future__ import annotations

from ctxlab.core.lessons.loader import load_lesson
from ctxlab.core.lessons.runner import StepResult, differences, recording, unmet


def test_a_claim_is_a_nested_subset_of_the_observation():
    observed = {"answers": {"red": {"recalled": True, "answer": "The dragon was red"}}, "n": 3}
    assert unmet({"answers": {"red": {"recalled": True}}}, observed) == []
    assert unmet({"answers": {"red": {"recalled": False}}}, observed) == [
        "answers.red.recalled: expected False, observed True"]
    assert unmet({"answers": {"Orla": {"recalled": True}}}, observed) == [
        "answers.Orla: not observed"]
    assert unmet({"n": True}, observed) != []  # a bool never stands in for a number


def test_a_replay_must_match_the_recording_up_to_float_noise():
    lesson = load_lesson("notepad-sizes")
    step = lesson.steps[0]
    observed = {"kept_tokens": 2048, "facts": {"red": False}, "logprob": [-0.98, -0.48]}
    recorded = recording(lesson, [StepResult(0, step, observed, [])])
    same = StepResult(0, step, {**observed, "logprob": [-0.97, -0.5]}, [])
    assert differences(recorded, same) == []
    changed = StepResult(0, step, {**observed, "facts": {"red": True}, "logprob": [-0.98]}, [])
    assert differences(recorded, changed) == [
        "facts.red: recorded False, now True", "logprob: recorded [-0.98, -0.48], now [-0.98]"]
    moved = StepResult(1, lesson.steps[1], observed, [])
    assert differences(recorded, moved) == [
        f"step 2 ({lesson.steps[1].title}) is not in the recording"]
