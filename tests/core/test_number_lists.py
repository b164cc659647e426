"""Typed number lists: spaces and empty parts are fine, anything else names the field."""

from __future__ import annotations

import pytest

from ctxlab.core.number_lists import parse_numbers, parse_whole_numbers


def test_spaces_and_trailing_commas_are_forgiven():
    assert parse_numbers(" 0, 25,,50 ,", "depths") == [0.0, 25.0, 50.0]
    assert parse_whole_numbers("256, 512", "lengths") == [256, 512]


@pytest.mark.parametrize(("text", "why"), [
    ("1,x", "comma-separated numbers"), ("", "at least one number"), (" , ", "at least one"),
    ("5,-1", "cannot be negative"),
])
def test_bad_lists_say_which_field_and_why(text, why):
    with pytest.raises(ValueError, match=f"^lengths: .*{why}"):
        parse_numbers(text, "lengths")


def test_counts_must_be_whole():
    with pytest.raises(ValueError, match="whole numbers"):
        parse_whole_numbers("256,1.5", "lengths")
