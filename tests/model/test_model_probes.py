"""Surprisal maps, strategy views, the needle grid (progress, cancel, reuse), recall vs distance."""

from __future__ import annotations

import numpy as np
import pytest
from asset_guard import require_asset

from ctxlab.core.model.loader import DEFAULT_ASSET, load_model
from ctxlab.core.probes.context import Strategy, build_prompt, view
from ctxlab.core.probes.needles import Haystack, Needle, load_haystack
from ctxlab.core.probes.recall import GridSpec, run_needle_grid, run_recall_vs_distance
from ctxlab.core.probes.surprisal import surprisal_map

NEEDLE = Needle("gate", 'The magic word that opens the garden gate is "quokka".',
                "What is the magic word that opens the garden gate?", "quokka")


@pytest.fixture(scope="module")
def model():
    require_asset(DEFAULT_ASSET)
    return load_model(fetch=False)


@pytest.fixture(scope="module")
def story() -> str:
    return load_haystack()[:700]


def test_surprisal_under_a_sliding_window_only_hurts_tokens_past_it(model, story):
    result = surprisal_map(model, story, Strategy("sliding", 24))
    n = len(result.spans)
    assert result.full.shape == result.windowed.shape == (n,)
    assert np.isnan(result.full[0])
    # inside the first window the mask changes nothing
    assert np.allclose(result.full[1:24], result.windowed[1:24], atol=1e-3)
    assert np.nanmean(result.delta[24:]) > 0.2
    worst = result.forgotten(5)
    assert len(worst) == 5 and (worst >= 24).all()
    assert result.delta[worst[0]] == np.nanmax(result.delta)


def test_truncated_tokens_have_no_loss(model, story):
    result = surprisal_map(model, story, Strategy("truncate", 40))
    n = len(result.spans)
    assert np.isnan(result.windowed[: n - 40]).all()
    assert np.isfinite(result.windowed[n - 39 :]).all()
    assert result.perplexity("window") > result.perplexity("full")


def test_view_counts_the_whole_prompt_and_reports_what_was_seen(model, story):
    prompt = build_prompt(model, story, NEEDLE.question)
    total = len(prompt.ids)
    trunc = view(prompt, Strategy("truncate", 100))
    assert len(trunc.ids) <= 100 and trunc.ids[-1] == prompt.ids[-1]
    slide = view(prompt, Strategy("sliding", 100))
    assert len(slide.ids) == total
    assert slide.seen_tokens[-1][1] == len(prompt.context)  # the context's end is visible
    sinks = view(prompt, Strategy("sinks", 100, sinks=4))
    assert sinks.seen_tokens[0][0] > 0  # the 4 sinks are template tokens, not context
    roomy = view(prompt, Strategy("sliding", total))
    assert roomy.mask.is_causal  # a window holding everything is full attention
    with pytest.raises(ValueError, match="cannot hold"):
        view(prompt, Strategy("truncate", 10))


def test_grid_yields_progress_and_shares_identical_prompts(model):
    spec = GridSpec(depths=(0.5,), lengths=(120, 200),
                    strategies=(Strategy(), Strategy("sliding", 400), Strategy("truncate", 150)))
    events: list = []
    result = run_needle_grid(model, spec, [NEEDLE], load_haystack(), progress=events.append)
    # 6 cells, then the no-needle baseline for each strategy and length
    assert [e.done for e in events] == list(range(1, 13)) and events[-1].total == 12
    assert [t.baseline for t in result.trials] == [False] * 6 + [True] * 6
    by = {(t.strategy, t.length): t for t in result.trials if not t.baseline}
    # a 400-token window holds these prompts: the full-context outcome is reused
    full, sliding = by[("full", 200)], by[("sliding 400", 200)]
    assert (sliding.answer, sliding.answer_logprob) == (full.answer, full.answer_logprob)
    assert full.recalled and full.needle_seen
    assert by[("keep-end 150", 200)].needle_slot == -1  # the middle was cut away
    assert result.matrix("full").shape == (1, 2)
    assert result.to_json()["settings"]["decoding"] == "greedy"


def test_a_guessable_answer_does_not_count_as_recall(model):
    sky = Needle("sky", "The sky over the harbour is blue.", "What colour is the sky?", "blue")
    spec = GridSpec(depths=(1.0,), lengths=(80,), strategies=(Strategy(),))
    result = run_needle_grid(model, spec, [sky, NEEDLE], load_haystack())
    asked = {t.needle: t for t in result.trials if not t.baseline}
    guesses = {t.needle: t for t in result.trials if t.baseline}
    assert guesses["sky"].recalled and guesses["sky"].needle_slot == -1  # known without the fact
    assert asked["sky"].recalled and not result.counts(asked["sky"])
    assert not guesses[NEEDLE.id].recalled and result.counts(asked[NEEDLE.id])
    assert result.rate("full") == 0.5


def test_grid_can_be_cancelled(model):
    spec = GridSpec(depths=(0.0, 1.0), lengths=(100,), strategies=(Strategy(),))
    polls = []

    def cancel_after_first_trial() -> bool:
        polls.append(1)
        return len(polls) > 40  # the first trial polls once per layer pass

    result = run_needle_grid(model, spec, [NEEDLE], load_haystack(),
                             should_cancel=cancel_after_first_trial)
    assert result.cancelled and len(result.trials) < 2


def test_recall_drops_once_the_needle_leaves_a_truncation_window(model):
    result = run_recall_vs_distance(model, Strategy("truncate", 120), [40, 300], [NEEDLE],
                                    load_haystack(), lead=16)
    near, far = (result.rate("keep-end 120", distance=d) for d in (40, 300))
    assert near == 1.0 and far == 0.0


def test_haystack_places_the_fact_at_sentence_ends(model):
    hay = Haystack("One two three. Four five six. Seven eight nine.", model.tokenizer, 50)
    doc = hay.at_depth("FACT.", 0.5, 12)
    assert "FACT." in doc and (". FACT." in doc or doc.startswith("FACT."))


def test_full_context_is_how_a_model_with_local_layers_was_trained(load_tokenizer):
    """Gemma-shaped: the baseline is its own local + global pattern, never every layer global."""
    from tiny_models import tiny_runtime

    from ctxlab.core.model.loader import LocalModel
    from ctxlab.core.model.masks import AttentionMask
    from ctxlab.core.probes.surprisal import token_losses

    gpt2 = load_tokenizer("gpt2")
    runtime = tiny_runtime(vocab=gpt2.info.vocab_size, n_layers=3, gemma_window=6)
    model = LocalModel("tiny-gemma", runtime, gpt2)
    text = "The keeper wrote the password, walrus, on a card by the door, and went to sleep."
    result = surprisal_map(model, text, Strategy("native"))
    ids = gpt2.encode(text).ids
    forced_global = token_losses(model, ids, AttentionMask.causal())
    assert np.allclose(result.full, token_losses(model, ids), equal_nan=True)
    assert not np.allclose(result.full[7:], forced_global[7:], atol=1e-3)  # past the window
    assert np.allclose(result.full[1:7], forced_global[1:7], atol=1e-5)  # inside it, alike
    assert np.array_equal(result.windowed, result.full, equal_nan=True)  # native: no 2nd pass
