"""Attention masks that simulate context windows inside one causal forward pass.

A mask says which earlier cache slots each query slot may attend to. Slots
keep their original positions, so sliding-window attention (Mistral's SWA) and
sinks + recent (StreamingLLM) are exact in one pass: every token's
log-probability is what it would be if it had seen only its allowed keys.
(StreamingLLM also renumbers positions inside its rolling cache; we keep text
positions, which is what a model trained with SWA sees.)

A mask applies to every layer alike, except ``native``: each layer then keeps
the attention it was trained with (Gemma 3's local layers their 512-token
window, its global layers everything), which the runtime looks up per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AttentionMask:
    """Causal attention, optionally limited to the last ``window`` slots plus the first ``sinks``.

    ``window`` counts the query itself: with window W, slot i sees slots
    ``i - W + 1 .. i`` (as in transformers' ``sliding_window``).
    """

    window: int | None = None
    sinks: int = 0
    native: bool = False  # each layer's own pattern; as a whole, what the global layers see

    def __post_init__(self) -> None:
        if self.native and (self.window is not None or self.sinks):
            raise ValueError("a native mask takes no window or sinks: the model's layers decide")
        if self.window is not None and self.window < 1:
            raise ValueError(f"attention window must be at least 1 token, got {self.window}")
        if self.sinks < 0:
            raise ValueError(f"sink count must be >= 0, got {self.sinks}")

    @classmethod
    def causal(cls) -> AttentionMask:
        return cls()

    @classmethod
    def sliding(cls, window: int) -> AttentionMask:
        return cls(window=window)

    @classmethod
    def sinks_recent(cls, sinks: int, window: int) -> AttentionMask:
        return cls(window=window, sinks=sinks)

    @classmethod
    def model_native(cls) -> AttentionMask:
        return cls(native=True)

    @property
    def is_causal(self) -> bool:
        return self.window is None and not self.native

    def describe(self) -> str:
        if self.native:
            return "the model's own attention pattern"
        if self.window is None:
            return "full causal attention"
        if self.sinks:
            return f"first {self.sinks} tokens + last {self.window} tokens"
        return f"sliding window of {self.window} tokens"

    def key_span(self, q_lo: int, q_hi: int) -> tuple[int, int, int]:
        """Keys the queries in slots ``[q_lo, q_hi)`` can need: ``(sinks_end, lo, hi)``.

        Sink slots ``[0, sinks_end)`` plus the contiguous run ``[lo, hi)``;
        anything else is masked for every one of these queries, so it is skipped.
        """
        if self.window is None:
            return 0, 0, q_hi
        lo = max(0, q_lo - self.window + 1)
        sinks_end = min(self.sinks, lo)
        return sinks_end, lo, q_hi

    def allowed(self, q_slots: np.ndarray, k_slots: np.ndarray) -> np.ndarray:
        """Boolean ``(len(q_slots), len(k_slots))``: may query slot i attend to key slot j?"""
        q = np.asarray(q_slots)[:, None]
        k = np.asarray(k_slots)[None, :]
        ok = k <= q
        if self.window is not None:
            ok &= (q - k < self.window) | (k < self.sinks)
        return ok

    def dense(self, n: int) -> np.ndarray:
        """The full ``(n, n)`` mask, for tests and pictures."""
        slots = np.arange(n)
        return self.allowed(slots, slots)

    def visible(self, query_slot: int) -> list[tuple[int, int]]:
        """Slot ranges ``[start, end)`` that ``query_slot`` attends to directly."""
        sinks_end, lo, hi = self.key_span(query_slot, query_slot + 1)
        ranges = [(0, sinks_end)] if sinks_end else []
        return ranges + [(lo, hi)]
