"""Recall heatmaps as standalone SVG text: one panel per strategy, no plotting library needed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np

CELL_W, CELL_H = 56, 30
PANEL_GAP = 40
MARGIN_LEFT, MARGIN_TOP = 70, 56


def recall_colour(rate: float) -> str:
    """Red (0 % recalled) through yellow to green (100 %); grey when not measured."""
    if not math.isfinite(rate):
        return "#d0d0d0"
    rate = min(max(rate, 0.0), 1.0)
    red = 220 if rate < 0.5 else int(220 - (rate - 0.5) * 2 * 170)
    green = int(60 + rate * 2 * 140) if rate < 0.5 else 200
    return f"#{red:02x}{green:02x}50"


def heatmap_svg(panels: dict[str, np.ndarray], rows: Sequence[str], cols: Sequence[str], *,
                title: str, row_label: str = "needle depth", col_label: str = "context tokens",
                ) -> str:
    """An SVG with one ``rows x cols`` grid of recall rates per panel (rates in [0, 1])."""
    panel_w = len(cols) * CELL_W
    width = MARGIN_LEFT + len(panels) * (panel_w + PANEL_GAP) + 10
    height = MARGIN_TOP + len(rows) * CELL_H + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for r, label in enumerate(rows):
        y = MARGIN_TOP + r * CELL_H + CELL_H / 2 + 4
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y}" text-anchor="end">'
                     f'{escape(label)}</text>')
    parts.append(f'<text x="10" y="{MARGIN_TOP - 8}" fill="#555">{escape(row_label)}</text>')
    for p, (name, grid) in enumerate(panels.items()):
        x0 = MARGIN_LEFT + p * (panel_w + PANEL_GAP)
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{MARGIN_TOP - 22}" text-anchor="middle" '
                     f'font-weight="bold">{escape(name)}</text>')
        for r in range(len(rows)):
            for c in range(len(cols)):
                rate = float(grid[r, c])
                x, y = x0 + c * CELL_W, MARGIN_TOP + r * CELL_H
                text = "–" if not math.isfinite(rate) else f"{rate:.0%}"
                parts.append(f'<rect x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}" '
                             f'fill="{recall_colour(rate)}"><title>{escape(name)}: '
                             f'{escape(rows[r])}, {escape(cols[c])}: {text}</title></rect>')
                parts.append(f'<text x="{x + CELL_W / 2 - 1}" y="{y + CELL_H / 2 + 3}" '
                             f'text-anchor="middle">{text}</text>')
        y_cols = MARGIN_TOP + len(rows) * CELL_H + 14
        for c, label in enumerate(cols):
            parts.append(f'<text x="{x0 + c * CELL_W + CELL_W / 2 - 1}" y="{y_cols}" '
                         f'text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{y_cols + 18}" text-anchor="middle" '
                     f'fill="#555">{escape(col_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
