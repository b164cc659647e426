"""The colours that tell tokens apart, shared by the token view and the HTML export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style

COLOUR_MODES = ("alternate", "id")
FOREGROUND = "#e8e8e8"
# Muted backgrounds that stay readable under light text; neighbours differ in hue.
ALTERNATE = ("#2f4b6e", "#5c3f66", "#2f5e4b", "#6e5230")
BY_ID = ("#3b5b8c", "#7a3b5e", "#3d6e3d", "#7a5a2a", "#4b3d7a", "#2a6a6e",
         "#7a3b3b", "#5e6e2a", "#2a4a7a", "#6e2a6a", "#3b6e5b", "#6e4b2a")
SPLIT = "#b8336a"  # a token holding only part of one character's bytes (byte fallback, split emoji)
SPECIAL = "#d7a200"  # control tokens such as <|endoftext|>
DROPPED_FG = "#6a6a6a"  # cut by truncation
CURSOR_BG = "#f0c674"
MARKED = Style(color="#ffd75f", underline=True, bold=True)  # e.g. a boundary not all share
CURSOR_FG = "#111111"
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
class TokenLook:
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

    def __init__(self) -> None:
        self._cache: dict[tuple, Style] = {}

    def style(self, look: TokenLook, mode: str) -> Style:
        if look.cursor:
            key: tuple = ("cursor",)
        elif look.dropped:
            key = ("dropped", look.split)
        elif look.heat is not None:
            key = ("heat", look.heat)
        elif look.special:
            key = ("special",)
        elif look.split:
            key = ("split",)
        else:
            key = ("bg", background_of(look.index, look.token_id, mode))
        if look.marked and not look.cursor:
            key = ("marked", key)
        if key not in self._cache:
            self._cache[key] = _build(key)
        return self._cache[key]


def _build(key: tuple) -> Style:
    kind = key[0]
    if kind == "marked":
        return _build(key[1]) + MARKED
    if kind == "cursor":
        return Style(color=CURSOR_FG, bgcolor=CURSOR_BG, bold=True)
    if kind == "dropped":
        return Style(color=DROPPED_FG, strike=True, underline=key[1])
    if kind == "heat":
        level = key[1]
        return Style(color=UNSCORED_FG, italic=True) if level < 0 else Style(
            color=FOREGROUND, bgcolor=HEAT[level])
    if kind == "special":
        return Style(color="#111111", bgcolor=SPECIAL, bold=True)
    if kind == "split":
        return Style(color="#ffffff", bgcolor=SPLIT, underline=True)
    return Style(color=FOREGROUND, bgcolor=key[1])

