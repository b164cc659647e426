"""Work split over the cores gives what one core gives."""

from __future__ import annotations

import numpy as np
import pytest

from ctxlab.core.model import threads
from ctxlab.core.model.runtime import SMALL_BATCH, SPLIT_ROWS, linear


def test_parts_deal_every_index_once_and_balance_the_weights(monkeypatch):
    monkeypatch.setattr(threads, "WORKERS", 3)
    weights = [2074, 26, 26, 1611, 552, 51, 1063, 300, 300]
    dealt = threads.parts(len(weights), weights)
    assert sorted(i for part in dealt for i in part) == list(range(len(weights)))
    loads = [sum(weights[i] for i in part) for part in dealt]
    assert max(loads) - min(loads) <= max(weights) // 2
    assert threads.parts(2) == [[0], [1]]
    assert threads.spans(10) == [(0, 3), (3, 6), (6, 10)]
    assert threads.spans(2) == [(0, 1), (1, 2)]


@pytest.mark.parametrize("rows", [1, 9, SMALL_BATCH, SMALL_BATCH + 1])
def test_linear_split_over_the_cores_equals_one_product(monkeypatch, rows):
    monkeypatch.setattr(threads, "WORKERS", 3)
    rng = np.random.default_rng(rows)
    weight = rng.standard_normal((SPLIT_ROWS + 7, 40), dtype=np.float32)
    x = rng.standard_normal((rows, 40), dtype=np.float32)
    plain = linear(x, weight)
    with threads.one_blas_thread():
        assert threads.blas_single()
        split = linear(x, weight)
    assert not threads.blas_single()
    assert split.flags.c_contiguous and split.shape == (rows, SPLIT_ROWS + 7)
    assert np.allclose(split, x @ weight.T, atol=1e-4)
    assert np.allclose(plain, x @ weight.T, atol=1e-4)


def test_tasks_all_run_and_errors_reach_the_caller():
    done: list[int] = []
    threads.run_all([lambda i=i: done.append(i) for i in range(5)])
    assert sorted(done) == [0, 1, 2, 3, 4]

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        threads.run_all([lambda: None, fail])
