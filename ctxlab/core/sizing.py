"""Back-of-the-envelope model sizes: weight memory, KV cache, compute-optimal training.

Weights and KV cache are exact arithmetic once the shape is known; without an
architecture the KV cache is estimated from the parameter count, and training
figures are rules of thumb. Every number says which it is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ctxlab.core.architecture import FP16_BYTES, Architecture

BYTES_PER_WEIGHT = {"fp16": 2.0, "int8": 1.0, "int4": 0.5}
CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022, compute-optimal training
FLOPS_PER_PARAM_TOKEN = 6  # forward + backward, Kaplan et al. 2020: C ~ 6ND
SAME_MODEL_TOLERANCE = 0.1  # a shape is used for parameter counts within 10 % of its own
# Without a shape: dense transformers have ~12 L d^2 parameters and d ~ 128 L (GPT-3, Llama).
WIDTH_PER_LAYER = 128
PARAMS_PER_LAYER_WIDTH2 = 12
_SUFFIXES = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^\s*(?P<value>\d+(?:\.\d*)?(?:e\d+)?)\s*(?P<suffix>[kmbgt]?)\s*$", re.I)


@dataclass(frozen=True)
class KVEstimate:
    bytes: int
    bytes_per_token: int
    exact: bool
    how: str  # the shape it came from, or the assumption behind the estimate


@dataclass(frozen=True)
class SizeReport:
    params: int
    context: int
    weights: dict[str, int]  # format -> bytes (weights only; quantized files add scales)
    kv_cache: KVEstimate
    training_tokens: int  # Chinchilla-optimal, an estimate
    training_flops: float  # ~6 N D, an estimate


def parse_count(text: str, *, binary: bool = False) -> int:
    """``135M``, ``7b``, ``1.5e9``, ``128K`` -> an integer (``binary``: K = 1024, for windows)."""
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number like 135M, 7B, 1.5e9 or 128K")
    suffix = match["suffix"].lower()
    scale = _SUFFIXES[suffix]
    if binary and suffix in ("k", "m", "g", "t"):
        scale = 1024 ** ("kmgt".index(suffix) + 1)
    value = float(match["value"]) * scale
    if value < 1:
        raise ValueError(f"{text!r} must be at least 1")
    return int(round(value))


def kv_cache(params: int, tokens: int, architecture: Architecture | None) -> KVEstimate:
    """KV cache at fp16 for ``tokens``: from the architecture, else estimated from ``params``.

    A shape known to belong to a model of another size (SmolLM2-135M's, asked about 7B)
    says nothing about this one: then it is estimated too, and the basis says why.
    """
    shape = architecture
    if shape is not None and shape.parameters and not (
            1 - SAME_MODEL_TOLERANCE <= params / shape.parameters <= 1 + SAME_MODEL_TOLERANCE):
        shape = None
    if architecture is not None and shape is not None:
        per_token = architecture.kv_cache_bytes(1)
        a = architecture
        how = (f"{a.name}: {a.n_layers} layers x {a.n_kv_heads} KV heads x {a.head_dim} dims "
               f"x 2 (K and V) x {FP16_BYTES} bytes")
        return KVEstimate(per_token * tokens, per_token, True, how)
    layers = max(1, round((params / (PARAMS_PER_LAYER_WIDTH2 * WIDTH_PER_LAYER**2)) ** (1 / 3)))
    width = WIDTH_PER_LAYER * layers
    per_token = 2 * layers * width * FP16_BYTES
    how = (f"estimate: ~{layers} layers of width ~{width:,} (12 L d^2 = N, d = 128 L), full "
           "multi-head attention; grouped-query models need 4-8x less")
    if architecture is not None:  # it is another model's shape
        how += (f" ({architecture.name}'s shape is for {format_count(architecture.parameters)} "
                "parameters)")
    return KVEstimate(per_token * tokens, per_token, False, how)


def size_report(params: int, context: int, architecture: Architecture | None = None) -> SizeReport:
    if params < 1 or context < 1:
        raise ValueError("parameters and context length must be positive")
    tokens = CHINCHILLA_TOKENS_PER_PARAM * params
    return SizeReport(
        params=params, context=context,
        weights={fmt: math.ceil(params * b) for fmt, b in BYTES_PER_WEIGHT.items()},
        kv_cache=kv_cache(params, context, architecture),
        training_tokens=tokens, training_flops=float(FLOPS_PER_PARAM_TOKEN * params * tokens),
    )


def format_bytes(n: float) -> str:
    """Binary units (1 MiB = 2^20 bytes), as memory is allocated and reported: every memory
    figure ctxlab shows (weights, KV cache; CLI and TUI) goes through here."""
    for unit, power in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << power:
            return f"{n / (1 << power):,.1f} {unit}"
    return f"{n:,.0f} B"


def format_count(n: float) -> str:
    """``2.7B``, ``135M``: the way parameter and token counts are spoken."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:,.3g}{unit}"
    return f"{n:,.0f}"


def report_lines(report: SizeReport) -> list[str]:
    """The report as plain lines, for ``ctxlab size`` and the TUI panel."""
    kv = report.kv_cache
    weights = "  ".join(f"{fmt} {format_bytes(b)}" for fmt, b in report.weights.items())
    return [
        f"{format_count(report.params)} parameters, {report.context:,}-token window",
        f"weights    {weights}  (weights alone; quantized files add a few % for scales)",
        f"KV cache   {format_bytes(kv.bytes)} for the full window at fp16, "
        f"{format_bytes(kv.bytes_per_token)} per token "
        f"({'from the architecture' if kv.exact else 'an estimate'})",
        f"           {kv.how}",
        f"training   ~{format_count(report.training_tokens)} tokens compute-optimal "
        f"(Chinchilla, {CHINCHILLA_TOKENS_PER_PARAM} per parameter) and "
        f"~{report.training_flops:.2g} FLOPs (6 N D): estimates",
    ]
