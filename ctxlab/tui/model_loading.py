"""The local model for the TUI's workers: fetched once (98 MB, with progress), then cached.

A missing model offline is a ``ModelUnavailable`` whose message names
`ctxlab model pull`; the workers turn it into a notification, never a crash.
No widgets here, so the panels that run the model and the screen share it
without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ctxlab.tui.analysis import Throttle

if TYPE_CHECKING:
    from ctxlab.core.model.loader import LocalModel


class ModelUnavailable(Exception):
    """The default model is neither cached nor fetchable; the message says what to do."""


def load_local_model(report: Callable[[str], object],
                     announce: Callable[[str], object]) -> LocalModel:
    """In a worker thread: the default model. ``report`` shows progress in a status line;
    ``announce`` tells the user once that a download starts (a notification)."""
    from ctxlab.core.assets import AssetError
    from ctxlab.core.model.loader import is_default_present, load_model
    from ctxlab.core.model.weights import ModelError

    throttle = Throttle()

    def fetched(done: int, total: int) -> None:
        if throttle.ready():
            report(f"fetching SmolLM2-135M: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB")

    if is_default_present():
        report("loading SmolLM2-135M…")
    else:
        announce("Fetching SmolLM2-135M-Instruct (98 MB) once; it is cached for next time.")
        report("fetching SmolLM2-135M (98 MB, once)…")
    try:
        return load_model(None, fetch=True, progress=fetched)
    except (AssetError, ModelError) as exc:
        raise ModelUnavailable(f"{exc}\nWhen online, run `ctxlab model pull` once.") from None
