"""Prompts that start alike reuse the computed start, and get what a fresh pass gives."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from tiny_models import tiny_runtime

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.prefixes import PrefixCache, masks_agree_below

CAUSAL, NATIVE = AttentionMask.causal(), AttentionMask.model_native()


@pytest.fixture(scope="module")
def gemma():
    return tiny_runtime(seed=3, n_layers=3, gemma_window=6)


def _counting(runtime, monkeypatch) -> list[int]:
    """Record how many tokens each forward pass computes."""
    computed: list[int] = []
    forward = type(runtime).forward

    def spy(self, ids, cache, **kwargs):
        computed.append(len(ids))
        return forward(self, ids, cache, **kwargs)

    monkeypatch.setattr(type(runtime), "forward", spy)
    return computed


def _fresh(runtime, ids, mask):
    cache = runtime.new_cache(len(ids))
    return cache, runtime.forward(ids, cache, mask=mask, outputs_at=slice(None))


def test_a_shared_start_is_computed_once_and_changes_nothing(gemma, monkeypatch):
    rng = np.random.default_rng(0)
    story = rng.integers(0, 50, 30)
    first, second = np.append(story, [1, 2, 3]), np.append(story, [4, 5])
    prefixes = PrefixCache(gemma)
    computed = _counting(gemma, monkeypatch)
    prefixes.fill(story, NATIVE, keep=True)
    prefixes.fill(first, NATIVE, rows_from=len(first) - 1)
    cache, hidden = prefixes.fill(second, NATIVE, rows_from=30)
    assert computed == [30, 3, 2]
    want_cache, want_rows = _fresh(gemma, second, NATIVE)
    assert np.allclose(hidden, want_rows[30:], atol=1e-5)
    assert np.allclose(cache.keys[:, :, :32], want_cache.keys[:, :, :32], atol=1e-5)
    # the same prompt again: the one row asked for is still computed
    _, hidden = prefixes.fill(second, NATIVE, rows_from=len(second) - 1)
    assert computed[-1] == 1 and np.allclose(hidden, want_rows[-1:], atol=1e-5)


def test_only_the_latest_unkept_fill_stays(gemma):
    prefixes = PrefixCache(gemma)
    ids = np.arange(12) % 50
    prefixes.fill(ids, CAUSAL, keep=True)
    prefixes.fill(ids + 1, CAUSAL)
    prefixes.fill(ids + 2, CAUSAL)
    assert len(prefixes.kept) == 1 and np.array_equal(prefixes.latest.ids, ids + 2)
    assert prefixes.shared(ids + 1, CAUSAL, limit=99) == (0, None)


def test_masks_share_slots_where_every_layer_sees_the_same_keys(gemma, monkeypatch):
    assert masks_agree_below(gemma, NATIVE, NATIVE) == sys.maxsize
    assert masks_agree_below(gemma, NATIVE, CAUSAL) == 6  # Gemma's local layers' window
    assert masks_agree_below(gemma, AttentionMask.sliding(8), CAUSAL) == 8
    assert masks_agree_below(gemma, AttentionMask.sinks_recent(2, 5),
                             AttentionMask.sliding(5)) == 5
    ids = np.random.default_rng(1).integers(0, 50, 20)
    prefixes = PrefixCache(gemma)
    prefixes.fill(ids, CAUSAL, keep=True)
    computed = _counting(gemma, monkeypatch)
    cache, _ = prefixes.fill(ids, NATIVE)
    assert computed == [14]
    want, _ = _fresh(gemma, ids, NATIVE)
    assert np.allclose(cache.keys[:, :, :20], want.keys[:, :, :20], atol=1e-5)
