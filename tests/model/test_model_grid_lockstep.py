"""The needle grid decodes its trials in lockstep and gets what asking each alone gets."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import tiny_runtime

from ctxlab.core.model.loader import LocalModel
from ctxlab.core.probes import recall
from ctxlab.core.probes.context import Strategy, answer, build_prompt, view
from ctxlab.core.probes.needles import Needle, load_haystack
from ctxlab.core.probes.recall import GridSpec, grid_haystack, run_needle_grid

NEEDLE = Needle("gate", 'The magic word that opens the garden gate is "quokka".',
                "What is the magic word that opens the garden gate?", "quokka")
SPEC = GridSpec(depths=(0.0, 0.5, 1.0), lengths=(40, 90), max_new_tokens=6,
                strategies=(Strategy(), Strategy("sliding", 48), Strategy("truncate", 70)))


@pytest.fixture(scope="module")
def tiny(load_tokenizer) -> LocalModel:
    """A random-weight model over GPT-2's vocabulary: fast, and its answers are arbitrary."""
    tokenizer = load_tokenizer("gpt2")
    return LocalModel("tiny", tiny_runtime(vocab=tokenizer.info.vocab_size, n_layers=2), tokenizer)


def _alone(model: LocalModel, trial, document: str, strategy: Strategy):
    prompt = build_prompt(model, document, NEEDLE.question)
    seen = view(prompt, strategy)
    cache = model.runtime.new_cache(len(seen.ids) + 32)
    hidden = model.runtime.forward(seen.ids, cache, mask=seen.mask)
    stem = NEEDLE.fact[: NEEDLE.fact.find(NEEDLE.answer)]
    _, text, logprob = answer(model, cache, hidden, seen, expected=NEEDLE.answer, stem=stem,
                              max_new_tokens=SPEC.max_new_tokens)
    return text, logprob


def test_lockstep_trials_equal_each_trial_asked_alone(tiny, monkeypatch):
    monkeypatch.setattr(recall, "LANES", 5)  # several batches, one of them mixing masks
    result = run_needle_grid(tiny, SPEC, [NEEDLE], load_haystack())
    hay = grid_haystack(tiny, SPEC, load_haystack())
    strategies = {s.label: s for s in SPEC.strategies}
    assert len(result.trials) == 3 * 2 * 3 + 3 * 2
    answers = set()
    for trial in result.trials:
        document = (hay.filler(trial.length) if trial.baseline
                    else hay.at_depth(NEEDLE.fact, trial.depth, trial.length))
        text, logprob = _alone(tiny, trial, document, strategies[trial.strategy])
        assert trial.answer == text
        assert trial.answer_logprob == pytest.approx(logprob, abs=1e-3)
        answers.add(text)
    assert len(answers) > 3  # the random model says different things to different prompts


def test_equal_views_are_answered_once(tiny, monkeypatch):
    asked = []
    answer_all = recall.answer_all

    def spy(model, prefixes, base, questions, **kwargs):
        asked.extend(questions)
        return answer_all(model, prefixes, base, questions, **kwargs)

    monkeypatch.setattr(recall, "answer_all", spy)
    result = run_needle_grid(tiny, SPEC, [NEEDLE], load_haystack())
    views = {(q.view.ids.tobytes(), q.view.mask) for q in asked}
    assert len(views) == len(asked) < len(result.trials)
    # a 48-token window holds a 40-token haystack's prompt only partly; 70 truncates less
    assert np.mean([t.prompt_tokens for t in result.trials]) > 40
