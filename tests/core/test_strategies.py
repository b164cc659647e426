"""The strategy registry: one record per strategy, old spellings kept, every consumer reads it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctxlab.core import strategies
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.strategies import STRATEGIES, UnknownStrategy, canonical, strategy
from ctxlab.core.truncation import STRATEGIES as TRUNCATIONS
from ctxlab.core.truncation import truncate


@pytest.mark.parametrize(("old", "new"), [("head", "keep-start"), ("tail", "keep-end"),
                                          ("truncate", "keep-end"), ("middle", "cut-middle")])
def test_old_spellings_are_aliases_of_names_that_say_what_is_kept(old, new):
    assert canonical(old) == new
    assert old in STRATEGIES[new].aliases


def test_an_unknown_name_lists_the_real_ones():
    with pytest.raises(UnknownStrategy, match="unknown strategy 'bogus': use one of full, "):
        strategy("bogus")


def test_every_record_says_what_it_does_and_is_applied_some_way():
    for record in STRATEGIES.values():
        assert record.name == record.name.lower() and " " not in record.name
        assert record.label and record.help and not record.help.endswith(".")
        assert record.keep is not None or record.slides or record.mask is not None, record.name


@pytest.mark.parametrize("name", TRUNCATIONS)
@pytest.mark.parametrize("budget", [4, 9, 100])
def test_a_cut_keeps_exactly_the_budget(name, budget):
    record = STRATEGIES[name]
    assert record.keep is not None
    head, tail = record.keep(budget, record.sinks or 0)
    assert head >= 0 and tail >= 0 and head + tail == budget


def test_the_four_sinks_are_written_once_and_used_by_cut_and_mask():
    assert STRATEGIES["sinks"].sinks == strategies.SINKS == 4
    assert STRATEGIES["sinks"].mask(64, 4) == AttentionMask.sinks_recent(4, 64)  # type: ignore[misc]
    assert STRATEGIES["sliding"].mask(64, 0) == AttentionMask.sliding(64)  # type: ignore[misc]


def test_truncate_accepts_old_and_new_spellings_alike(load_tokenizer):
    spans = load_tokenizer("o200k_base").encode("one two three four five six seven eight nine")
    for old in ("head", "tail", "middle"):
        assert truncate(spans, 4, old).kept == truncate(spans, 4, canonical(old)).kept


def test_a_strategy_that_cuts_nothing_is_refused_by_truncate(load_tokenizer):
    spans = load_tokenizer("o200k_base").encode("one two three")
    with pytest.raises(ValueError, match="does not cut tokens"):
        truncate(spans, 2, "full")


def test_cli_help_and_choices_come_from_the_registry():
    from ctxlab.commands import recall, surprisal
    from ctxlab.commands import truncate as truncate_command

    shown = CliRunner().invoke(truncate_command.command, ["--help"]).output
    for record in strategies.truncations():
        if record.keep is not None:
            assert record.name in shown and record.help in shown
    assert "(was head)" in shown
    assert "keep-end" in CliRunner().invoke(recall.command, ["--help"]).output
    mask_choices = surprisal.command.params[2].type.choices  # type: ignore[attr-defined]
    assert set(mask_choices) == {n for r in STRATEGIES.values() if r.needs_window
                                 for n in (r.name, *r.aliases)}


def test_a_new_record_reaches_the_probes_and_the_truncate_tab_list(monkeypatch):
    from ctxlab.core.probes.context import Strategy

    record = strategies.StrategyRecord("keep-nothing", "keep nothing", "cut every token",
                                       keep=lambda budget, sinks: (0, 0))
    monkeypatch.setitem(STRATEGIES, record.name, record)
    monkeypatch.setitem(strategies._BY_SPELLING, record.name, record)
    assert record in strategies.truncations()
    assert "keep-nothing" in strategies.model_strategies()
    assert Strategy("keep-nothing", 8).label == "keep-nothing 8"
