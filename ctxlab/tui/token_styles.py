"""The colours that tell tokens apart, shared by the token view and the HTML export.

The token backgrounds, the split and special colours and the surprisal heat are
fixed (the export has no theme). The cursor, dropped and marked tokens follow
the theme: the token view reads them from its component classes into a `Palette`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style

FOREGROUND = "#e8e8e8"
# Muted backgrounds that stay readable under light text; neighbours differ in hue.
ALTERNATE = ("#2f4b6e", "#5c3f66", "#2f5e4b", "#6e5230")
BY_ID = ("#3b5b8c", "#7a3b5e", "#3d6e3d", "#7a5a2a", "#4b3d7a", "#2a6a6e",
         "#7a3b3b", "#5e6e2a", "#2a4a7a", "#6e2a6a", "#3b6e5b", "#6e4b2a")
SPLIT = "#b8336a"  # a token holding only part of one character's bytes (byte fallback, split emoji)
SPECIAL = "#d7a200"  # control tokens such as <|endoftext|>
SPECIAL_FG = "#111111"
# Surprisal overlay: how much a token's loss rose under the window (nats), cool to hot.
HEAT_EDGES = (-0.25, 0.25, 1.0, 2.0, 4.0)
HEAT = ("#2f4f7a", "#3c3c3c", "#6e5f1c", "#8c5514", "#a83c10", "#c01e2e")
HEAT_LABELS = ("helped", "same", "+0.25", "+1", "+2", "+4 nats")
UNSCORED_FG = "#8a8a8a"  # no loss to compare: the first token, or cut by truncation

_ID_SCATTER = 2654435761  # Knuth's multiplicative hash: neighbouring ids get unrelated colours


def background_of(index: int, token_id: int, mode: str) -> str:
    """Background colour of token ``index`` (with id ``token_id``) in colour ``mode``."""
    if mode == "id":
        return BY_ID[(token_id * _ID_SCATTER) % (1 << 32) % len(BY_ID)]
    return ALTERNATE[index % len(ALTERNATE)]


def heat_levels(delta: np.ndarray) -> np.ndarray:
    """Index into `HEAT` per token for a loss rise ``delta`` (-1 where it is NaN)."""
    levels = np.digitize(np.nan_to_num(delta, nan=0.0), HEAT_EDGES).astype(np.int8)
    levels[np.isnan(delta)] = -1
    return levels


@dataclass(frozen=True)
class Palette:
    """The styles that follow the theme (the token view's ``tokenview--*`` component classes)."""

    cursor: Style = Style(color="#111111", bgcolor="#f0c674", bold=True)
    dropped: Style = Style(color="#6a6a6a", strike=True)  # cut by truncation
    marked: Style = Style(color="#ffd75f", underline=True, bold=True)  # a boundary not all share
    special: Style = Style(color=SPECIAL_FG, bgcolor=SPECIAL, bold=True)
    split: Style = Style(color="#ffffff", bgcolor=SPLIT, underline=True)


@dataclass(frozen=True)
class TokenFacts:
    """The per-token facts a style depends on."""

    index: int
    token_id: int
    split: bool
    special: bool
    dropped: bool
    cursor: bool
    heat: int | None = None  # surprisal overlay level (-1: unscored), None when it is off
    marked: bool = False  # flagged by the caller, drawn underlined over its usual look


class TokenStyles:
    """Rich styles for tokens, built once per look and reused across rows."""

    def __init__(self, palette: Palette | None = None) -> None:
        self.palette = palette or Palette()
        self._cache: dict[tuple, Style] = {}

    def set_palette(self, palette: Palette) -> None:
        """Use ``palette`` from now on (the theme changed): forget the styles built from the old."""
        if palette != self.palette:
            self.palette = palette
            self._cache.clear()

    def style(self, facts: TokenFacts, mode: str) -> Style:
        if facts.cursor:
            key: tuple = ("cursor",)
        elif facts.dropped:
            key = ("dropped", facts.split)
        elif facts.heat is not None:
            key = ("heat", facts.heat)
        elif facts.special:
            key = ("special",)
        elif facts.split:
            key = ("split",)
        else:
            key = ("bg", background_of(facts.index, facts.token_id, mode))
        if facts.marked and not facts.cursor:
            key = ("marked", key)
        if key not in self._cache:
            self._cache[key] = self._build(key)
        return self._cache[key]

    def _build(self, key: tuple) -> Style:
        kind, palette = key[0], self.palette
        if kind == "marked":
            return self._build(key[1]) + palette.marked
        if kind == "cursor":
            return palette.cursor
        if kind == "dropped":
            return palette.dropped + Style(underline=True) if key[1] else palette.dropped
        if kind == "heat":
            level = key[1]
            return Style(color=UNSCORED_FG, italic=True) if level < 0 else Style(
                color=FOREGROUND, bgcolor=HEAT[level])
        if kind == "special":
            return palette.special
        if kind == "split":
            return palette.split
        return Style(color=FOREGROUND, bgcolor=key[1])

