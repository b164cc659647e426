"""Lockstep decoding of many prompts sharing a base cache gives what each gives alone."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import tiny_runtime

from ctxlab.core.model.batch import Lane, decode_step, greedy_batch
from ctxlab.core.model.generate import greedy
from ctxlab.core.model.masks import AttentionMask

PREFIX = 20
MASKS = [AttentionMask.causal(), AttentionMask.sliding(6), AttentionMask.sinks_recent(2, 5),
         AttentionMask.model_native()]


@pytest.fixture(scope="module")
def runtimes():
    return {"llama": tiny_runtime(), "gemma": tiny_runtime(seed=3, n_layers=3, gemma_window=6)}


def _prompts() -> list[np.ndarray]:
    """Prompts that share 20, 20, 9 and 0 tokens with the base, and one that is the base."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 50, PREFIX)
    return [np.concatenate([base, rng.integers(0, 50, 7)]),
            np.concatenate([base, rng.integers(0, 50, 15)]),
            np.concatenate([base[:9], (base[9:10] + 1) % 50, rng.integers(0, 50, 4)]),
            np.concatenate([(base[:1] + 1) % 50, rng.integers(0, 50, 30)]),
            base]


def _shared(base: np.ndarray, ids: np.ndarray) -> int:
    n = min(len(base), len(ids) - 1)  # at least one row is computed: it gives the answer
    differ = np.flatnonzero(base[:n] != ids[:n])
    return int(differ[0]) if differ.size else n


def _lanes(runtime, mask, prompts, extra=16):
    base_ids = prompts[-1]
    base = runtime.new_cache(len(base_ids))
    runtime.forward(base_ids, base, mask=mask, outputs_at=None)
    lanes, hidden = [], []
    for ids in prompts:
        shared = _shared(base_ids, ids)
        cache = base.fork(shared, extra=len(ids) - shared)
        hidden.append(runtime.forward(ids[shared:], cache, mask=mask))
        lanes.append(Lane.from_cache(cache, shared, len(ids), extra))
    return base, lanes, np.vstack(hidden)


@pytest.mark.parametrize("family, mask", [("llama", m) for m in MASKS[:3]] + [("gemma", MASKS[3])])
def test_one_step_for_all_lanes_equals_each_prompt_alone(runtimes, family, mask):
    runtime = runtimes[family]
    prompts = _prompts()
    base, lanes, _ = _lanes(runtime, mask, prompts)
    tokens = [3, 7, 11, 13, 17]
    batched = decode_step(runtime, base, lanes, tokens, mask)
    for ids, token, row in zip(prompts, tokens, batched, strict=True):
        cache = runtime.new_cache()
        alone = runtime.forward(np.append(ids, token), cache, mask=mask)[0]
        assert np.allclose(row, alone, atol=1e-4), np.abs(row - alone).max()


@pytest.mark.parametrize("family, mask", [("llama", m) for m in MASKS[:3]] + [("gemma", MASKS[3])])
def test_lockstep_greedy_gives_each_prompts_own_tokens(runtimes, family, mask):
    runtime = runtimes[family]
    prompts = _prompts()
    stop_after = [3, 12, 1, 7, 12]  # lanes finish at different steps and leave the batch
    untils = [lambda out, n=n: len(out) >= n for n in stop_after]
    alone = []
    for ids, until in zip(prompts, untils, strict=True):
        cache = runtime.new_cache()
        hidden = runtime.forward(ids, cache, mask=mask)
        alone.append(greedy(runtime, cache, hidden, mask=mask, max_new_tokens=10,
                            stop_ids={49}, until=until, lookup=ids))
    base, lanes, hidden = _lanes(runtime, mask, prompts)
    together = greedy_batch(runtime, base, lanes, hidden, mask=mask, max_new_tokens=10,
                            stop_ids={49}, until=untils)
    assert [g.ids for g in together] == [g.ids for g in alone]
    assert [g.stopped for g in together] == [g.stopped for g in alone]
    assert {g.stopped for g in together} >= {"until", "max-tokens"}
    assert [len(g.ids) for g in together] != [len(together[0].ids)] * len(prompts)


def test_a_lane_grows_past_its_reserved_room(runtimes):
    runtime = runtimes["llama"]
    prompts = _prompts()
    base, lanes, hidden = _lanes(runtime, AttentionMask.causal(), prompts, extra=1)
    together = greedy_batch(runtime, base, lanes, hidden, max_new_tokens=6)
    assert all(len(g.ids) == 6 for g in together)
    assert all(lane.length == len(ids) - lane.shared + 5 for lane, ids in zip(lanes, prompts,
                                                                             strict=True))
