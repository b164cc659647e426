"""Comma-separated numbers as users type them ("0, 25,50"), for grid axes and form fields."""

from __future__ import annotations


def parse_numbers(text: str, what: str) -> list[float]:
    """The non-negative numbers in ``text``; a ValueError names ``what`` and says why not."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise ValueError(f"{what}: comma-separated numbers, not {text!r}") from None
    if not values:
        raise ValueError(f"{what}: give at least one number")
    if any(v < 0 for v in values):
        raise ValueError(f"{what}: numbers cannot be negative, got {text!r}")
    return values


def parse_whole_numbers(text: str, what: str) -> list[int]:
    """As ``parse_numbers``, for counts (token lengths, distances): every value a whole number."""
    values = parse_numbers(text, what)
    if any(v != int(v) for v in values):
        raise ValueError(f"{what}: whole numbers, not {text!r}")
    return [int(v) for v in values]
