"""Tests that need a fetched asset fail loudly (never skip) when it is missing."""

from __future__ import annotations

import pytest

from ctxlab.core import assets


def require_asset(name: str) -> None:
    """Assets are pulled by the README's test command; a missing one is a setup error."""
    if not assets.is_present(name):
        pytest.fail(f"asset {name} missing: run `ctxlab assets pull --all` first")
