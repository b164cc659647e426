"""The local model for the TUI's workers: fetched once (with progress and its terms), then cached.

A missing model offline is a ``ModelUnavailable`` whose message names
`ctxlab model pull`; the workers turn it into a notification, never a crash.
One load at a time: a recall run started while the picker is still fetching
the same model waits for that fetch instead of starting a second one.
No widgets here, so the panels that run the model and the screen share it
without importing each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ctxlab.tui.analysis import Throttle

if TYPE_CHECKING:
    from ctxlab.core.local_models import ModelChoice
    from ctxlab.core.model.loader import LocalModel

TERMS_SECONDS = 30  # how long a fetched model's terms stay on screen

_loading = threading.Lock()


class ModelUnavailable(Exception):
    """The model is neither cached nor fetchable, or not a model; the message says what to do."""


def load_local_model(choice: ModelChoice, report: Callable[[str], object],
                     announce: Callable[[str, float | None], object]) -> LocalModel:
    """In a worker thread: the model ``choice`` names. ``report`` shows progress in a status
    line; ``announce(text, seconds)`` tells the user once that a download starts, and the
    model's terms (a notification)."""
    from ctxlab.core.assets import AssetError
    from ctxlab.core.model.loader import load_model
    from ctxlab.core.model.weights import ModelError

    throttle = Throttle()

    def fetched(done: int, total: int) -> None:
        if throttle.ready():
            report(f"fetching {choice.label}: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB")

    with _loading:
        if choice.downloaded():
            report(f"loading {choice.label}…")
        else:
            announce(f"Fetching {choice.title} once; it is cached for next time.", None)
            if choice.terms:
                announce(f"{choice.label} is provided under its licence's terms:\n"
                         f"{choice.terms}", TERMS_SECONDS)
            report(f"fetching {choice.label} ({choice.size_mb or 0:,.0f} MB, once)…")
        try:
            return load_model(choice.name, fetch=True, progress=fetched)
        except (AssetError, ModelError) as exc:
            hint = f"\nWhen online, run `ctxlab model pull {choice.name}` once." if (
                choice.asset) else ""
            raise ModelUnavailable(f"{exc}{hint}") from None
