"""Chinchilla's scaling law: predicted loss from model size N and training tokens D.

Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
approach 3 fits L(N, D) = E + A / N^alpha + B / D^beta to 400+ training runs.
With training compute C ~ 6 N D, minimising L for a fixed C gives the
compute-optimal frontier N_opt(C), D_opt(C), which grow at nearly the same
rate: about 20 tokens per parameter. The reference models below are placed
by their published sizes and token counts, each with where the number is from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Hoffmann et al. 2022, approach 3 (section 3.3, equation 10 and table A3).
E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
FLOPS_PER_PARAM_TOKEN = 6  # C ~ 6 N D (forward + backward)


@dataclass(frozen=True)
class ReferenceModel:
    name: str
    params: float
    tokens: float
    source: str  # where the two numbers are published

    @property
    def flops(self) -> float:
        return FLOPS_PER_PARAM_TOKEN * self.params * self.tokens


REFERENCE_MODELS = (
    ReferenceModel("GPT-3", 175e9, 300e9, "Brown et al. 2020, table D.1"),
    ReferenceModel("Chinchilla", 70e9, 1.4e12, "Hoffmann et al. 2022, table 1"),
    ReferenceModel("Llama 3 8B", 8e9, 15e12, "Meta, Llama 3 model card (15T+ tokens)"),
    ReferenceModel("Gemma 3 270M", 268e6, 6e12, "Google, Gemma 3 270M model card (6T tokens)"),
    ReferenceModel("SmolLM2-135M", 135e6, 2e12, "Allal et al. 2025, SmolLM2 paper (2T tokens)"),
)


def loss(params: float, tokens: float) -> float:
    """Predicted pre-training loss (nats per token on Chinchilla's data) of N params, D tokens."""
    return E + A / params**ALPHA + B / tokens**BETA


@dataclass(frozen=True)
class Optimum:
    flops: float
    params: float
    tokens: float
    loss: float

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params


def compute_optimal(flops: float) -> Optimum:
    """The N and D = C / 6N that minimise ``loss`` for a compute budget of ``flops``.

    Setting dL/dN = 0 along D = C / (6N) gives N_opt = G (C/6)^(beta/(alpha+beta))
    with G = (alpha A / (beta B))^(1/(alpha+beta)); D_opt = (C/6) / N_opt.
    """
    if flops <= 0:
        raise ValueError("a compute budget must be a positive number of FLOPs")
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    budget = flops / FLOPS_PER_PARAM_TOKEN
    params = g * budget ** (BETA / (ALPHA + BETA))
    tokens = budget / params
    return Optimum(flops, params, tokens, loss(params, tokens))


def frontier(low: float = 1e18, high: float = 1e26, points: int = 9) -> list[Optimum]:
    """Compute-optimal points at budgets spaced evenly in log C."""
    step = (math.log10(high) - math.log10(low)) / max(points - 1, 1)
    return [compute_optimal(10 ** (math.log10(low) + i * step)) for i in range(points)]


def parse_flops(text: str) -> float:
    """``1e21``, ``5.76e23``, ``3e+22`` -> FLOPs; one clear error otherwise."""
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"{text!r} is not a FLOP budget like 1e21") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r}: a FLOP budget must be a positive number")
    return value
