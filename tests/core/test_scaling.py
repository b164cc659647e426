"""Chinchilla's fitted law, its compute-optimal frontier and the two pictures of it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ctxlab.core import scaling
from ctxlab.core.scaling_plot import svg_plot, text_plot


def test_loss_falls_with_size_and_data_towards_the_irreducible_term():
    assert scaling.loss(1e9, 1e11) > scaling.loss(1e10, 1e11) > scaling.loss(1e10, 1e12)
    assert scaling.loss(1e30, 1e30) == pytest.approx(scaling.E, abs=1e-3)
    # Chinchilla (70B, 1.4T) beats GPT-3 (175B, 300B) at less than twice its compute
    gpt3, chinchilla = scaling.REFERENCE_MODELS[:2]
    assert scaling.loss(chinchilla.params, chinchilla.tokens) < scaling.loss(gpt3.params,
                                                                                gpt3.tokens)


@pytest.mark.parametrize("flops", [1e19, 5.76e23, 1e26])
def test_compute_optimal_point_beats_its_neighbours_on_the_same_budget(flops):
    best = scaling.compute_optimal(flops)
    assert 6 * best.params * best.tokens == pytest.approx(flops, rel=1e-9)
    for factor in (0.7, 1.4):
        params = best.params * factor
        assert scaling.loss(params, flops / (6 * params)) > best.loss


def test_the_frontier_grows_both_size_and_data():
    points = scaling.frontier(1e18, 1e26, 5)
    assert all(b.params > a.params and b.tokens > a.tokens
               for a, b in zip(points, points[1:], strict=False))


def test_a_typed_budget_is_parsed_or_refused_in_one_line():
    assert scaling.parse_flops("5.76e23") == 5.76e23
    for bad in ("abc", "-1", "0", "inf"):
        with pytest.raises(ValueError, match="FLOP budget"):
            scaling.parse_flops(bad)


def test_the_terminal_map_marks_every_reference_model_and_the_budget():
    lines = text_plot(1e21)
    body = "\n".join(lines[1:21])
    for mark in "ABCDEX":
        assert mark in body
    assert any("your budget 1e+21 FLOPs" in line for line in lines)


def test_the_svg_is_well_formed_and_labels_the_models():
    root = ET.fromstring(svg_plot(1e21))
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Chinchilla" in labels and "Gemma 3 270M" in labels and "your budget's optimum" in labels
