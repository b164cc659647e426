"""`ctxlab lesson --step N` names a step the lesson has, in the TUI only: a step past the
end, or --step with --print (which runs every step), is one line, not a silent full run."""

from __future__ import annotations

from click.testing import CliRunner

from ctxlab.cli import group


def lesson(*args: str):
    return CliRunner().invoke(group, ["lesson", *args])


def test_a_step_past_the_last_one_is_refused_naming_the_range():
    result = lesson("chat-overhead", "--step", "4")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "ctxlab: error: --step 4: lesson chat-overhead has 3 steps (1 to 3)")


def test_step_with_print_is_refused_instead_of_ignored():
    result = lesson("chat-overhead", "--print", "--step", "2")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "ctxlab: error: --step opens the TUI at a step; --print runs every step: drop one")
