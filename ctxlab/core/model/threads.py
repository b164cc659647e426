"""Numpy work split over the CPU's cores where OpenBLAS does not split it itself.

OpenBLAS threads its big products, but a softmax's ``exp`` runs on one core, and so do
the many small products of decoding (OpenBLAS keeps products under ~262K multiply-adds
on one thread). Numpy releases the GIL inside ufuncs and BLAS, so plain threads share
that work out. Forward passes and lockstep decoding run BLAS on one thread
(``one_blas_thread``) and split their products themselves: when other processes share
the cores, OpenBLAS's threads wait a time slice for each other on every product, and
decoding's thousands of products per step ran 3x slower than on one thread (measured on
2 cores shared by 3 processes); a prefill's attention, many K=64 products, ran 2.4x
faster as one task per core. ``threadpoolctl`` sets OpenBLAS's thread count; without
it everything still runs, only unsplit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

WORKERS = max(1, min(os.cpu_count() or 1, 8))
_state = threading.local()
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_controller: object | None = None


def run_all(tasks: Sequence[Callable[[], object]]) -> None:
    """Call every task, the first in this thread and the rest in the pool; wait for all.

    The tasks are the split: inside them ``blas_single`` is false, so they split nothing
    again (a pool thread waiting on the pool could wait for ever).
    """
    if len(tasks) <= 1 or WORKERS == 1:
        for task in tasks:
            task()
        return
    futures = [_workers().submit(task) for task in tasks[1:]]
    single, _state.single = blas_single(), False
    try:
        tasks[0]()
    finally:
        _state.single = single
    for future in futures:
        future.result()


def parts(size: int, weights: Sequence[float] | None = None) -> list[list[int]]:
    """``range(size)`` dealt into at most ``WORKERS`` parts of about equal total weight."""
    weights = weights if weights is not None else [1.0] * size
    order = sorted(range(size), key=lambda i: -weights[i])
    dealt: list[list[int]] = [[] for _ in range(min(WORKERS, size))]
    loads = [0.0] * len(dealt)
    for i in order:  # heaviest first, each to the lightest part so far
        lightest = loads.index(min(loads))
        dealt[lightest].append(i)
        loads[lightest] += weights[i]
    return dealt


def spans(size: int) -> list[tuple[int, int]]:
    """``range(size)`` cut into at most ``WORKERS`` runs ``[lo, hi)`` of about equal length."""
    bounds = [size * i // WORKERS for i in range(WORKERS + 1)]
    return [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]


def blas_single() -> bool:
    """Is this thread inside ``one_blas_thread`` (so its products may be split)?"""
    return getattr(_state, "single", False)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """OpenBLAS on one thread for the block (the caller splits its own products)."""
    controller = _blas_controller()
    if controller is None or WORKERS == 1 or blas_single():
        yield
        return
    with controller.limit(limits=1, user_api="blas"):  # type: ignore[attr-defined]
        _state.single = True
        try:
            yield
        finally:
            _state.single = False


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS - 1, thread_name_prefix="ctxlab-numpy")
        return _pool


def _blas_controller() -> object | None:
    global _controller
    with _lock:
        if _controller is None:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                _controller = False
            else:
                _controller = ThreadpoolController()
        return _controller or None
