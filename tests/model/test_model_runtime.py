"""Masks, GGUF row un-permuting, and draft-verified greedy decoding on a tiny random model."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import tiny_runtime

from ctxlab.core.model.generate import greedy, propose
from ctxlab.core.model.gguf_weights import unpermute_rope_rows
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import Cancelled, Transformer


@pytest.mark.parametrize("mask, row5", [
    (AttentionMask.causal(), [1, 1, 1, 1, 1, 1, 0, 0]),
    (AttentionMask.sliding(3), [0, 0, 0, 1, 1, 1, 0, 0]),
    (AttentionMask.sinks_recent(2, 2), [1, 1, 0, 0, 1, 1, 0, 0]),
])
def test_mask_rows(mask, row5):
    dense = mask.dense(8)
    assert dense[5].astype(int).tolist() == row5
    assert not np.triu(dense, 1).any()  # never the future


@pytest.mark.parametrize("mask", [AttentionMask.sliding(5), AttentionMask.sinks_recent(3, 4),
                                  AttentionMask.causal()])
def test_key_span_covers_every_allowed_key(mask):
    dense = mask.dense(40)
    for q_lo in range(0, 40, 7):
        q_hi = min(q_lo + 7, 40)
        sinks_end, lo, hi = mask.key_span(q_lo, q_hi)
        covered = np.zeros(40, dtype=bool)
        covered[:sinks_end] = covered[lo:hi] = True
        assert not (dense[q_lo:q_hi] & ~covered).any()


def test_visible_ranges_describe_the_last_row():
    assert AttentionMask.sinks_recent(4, 10).visible(99) == [(0, 4), (90, 100)]
    assert AttentionMask.sliding(10).visible(5) == [(0, 6)]


def test_bad_window_is_rejected():
    with pytest.raises(ValueError, match="at least 1"):
        AttentionMask.sliding(0)


def test_unpermute_inverts_llama_cpp_permute():
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((3 * 8, 5))
    heads = 3
    # llama.cpp convert_hf_to_gguf.py: permute(weights, n_head)
    permuted = weight.reshape(heads, 2, 8 // 2, 5).swapaxes(1, 2).reshape(weight.shape)
    assert np.array_equal(unpermute_rope_rows(permuted, heads), weight)
    assert not np.array_equal(permuted, weight)


def test_propose_copies_what_followed_the_last_bigram():
    ids = np.array([5, 6, 7, 8, 9, 1, 5, 6])
    assert propose(ids, limit=10) == [7, 8, 9, 1, 5, 6]
    assert propose(ids, limit=2) == [7, 8]
    assert propose(np.array([1, 2, 3]), limit=5) == []


def _decode(runtime: Transformer, prompt: np.ndarray, mask: AttentionMask, lookup) -> tuple:
    cache = runtime.new_cache()
    hidden = runtime.forward(prompt, cache, mask=mask)
    gen = greedy(runtime, cache, hidden, mask=mask, max_new_tokens=24, lookup=lookup)
    return gen, cache


@pytest.mark.parametrize("mask", [AttentionMask.causal(), AttentionMask.sliding(6)])
def test_drafts_never_change_greedy_output(mask):
    runtime = tiny_runtime()
    prompt = np.random.default_rng(1).integers(0, 50, 30)
    plain, plain_cache = _decode(runtime, prompt, mask, lookup=())
    # a lookup text that predicts the output perfectly, and one full of wrong guesses
    good, good_cache = _decode(runtime, prompt, mask, lookup=np.concatenate([prompt, plain.ids]))
    bad, bad_cache = _decode(runtime, prompt, mask, lookup=np.tile(np.arange(50), 3))
    assert good.ids == plain.ids == bad.ids
    assert len(plain.ids) == 24 and plain.passes == 23
    assert good.passes < plain.passes / 3
    # rejected draft slots were dropped: the cache is the prompt plus emitted tokens only
    n = plain_cache.length
    for cache in (good_cache, bad_cache):
        assert n <= cache.length <= len(prompt) + len(good.ids)
        assert np.allclose(cache.keys[:, :, :n], plain_cache.keys[:, :, :n], atol=1e-5)


def test_forward_can_be_cancelled_between_layers():
    runtime = tiny_runtime()
    cache = runtime.new_cache()
    calls = []

    def cancel_on_second_poll() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        runtime.forward(np.arange(10), cache, should_cancel=cancel_on_second_poll)
    assert cache.length == 0
