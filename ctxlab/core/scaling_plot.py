"""Chinchilla's L(N, D) as a picture: a terminal character map and an SVG, same layout.

Columns are model size N and rows training tokens D, both on log scales; a
cell's shade is the predicted loss. On top: the compute-optimal frontier
(``o``), the reference models (letters, keyed in the legend) and, when the
learner gives a budget, its optimum (``X``).
"""

from __future__ import annotations

import math
from html import escape

from ctxlab.core import scaling

N_RANGE = (1e8, 1e12)  # 100M .. 1T parameters
D_RANGE = (1e9, 1e14)  # 1B .. 100T tokens
SHADES = " .:-=+*#%@"  # high loss .. low loss
MARKS = "ABCDEFGH"


def _position(value: float, bounds: tuple[float, float], cells: int) -> int | None:
    low, high = (math.log10(b) for b in bounds)
    at = (math.log10(value) - low) / (high - low)
    return int(at * (cells - 1) + 0.5) if 0 <= at <= 1 else None


def _value(index: int, bounds: tuple[float, float], cells: int) -> float:
    low, high = (math.log10(b) for b in bounds)
    return 10 ** (low + (high - low) * index / (cells - 1))


def _loss_range() -> tuple[float, float]:
    corners = [scaling.loss(n, d) for n in N_RANGE for d in D_RANGE]
    return min(corners), max(corners)


def _darkness(value: float) -> float:
    """0 (highest loss on the map) .. 1 (lowest), on a log scale of the reducible loss L - E."""
    low, high = (math.log(v - scaling.E) for v in _loss_range())
    return (high - math.log(value - scaling.E)) / (high - low)


def overlay(cols: int, rows: int, budget: float | None) -> dict[tuple[int, int], str]:
    """Marks by (row, col): frontier ``o``, reference models by letter, the budget's ``X``."""
    marks: dict[tuple[int, int], str] = {}
    points = [(o.params, o.tokens, "o") for o in scaling.frontier()]
    points += [(m.params, m.tokens, MARKS[i]) for i, m in enumerate(scaling.REFERENCE_MODELS)]
    if budget is not None:
        best = scaling.compute_optimal(budget)
        points.append((best.params, best.tokens, "X"))
    for params, tokens, mark in points:
        col, row = _position(params, N_RANGE, cols), _position(tokens, D_RANGE, rows)
        if col is not None and row is not None:
            marks[rows - 1 - row, col] = mark
    return marks


def legend(budget: float | None) -> list[str]:
    lines = [f"  {MARKS[i]} {m.name}: {m.params:.3g} params, {m.tokens:.3g} tokens "
             f"(≈{m.tokens / m.params:,.0f} per param), predicted loss "
             f"{scaling.loss(m.params, m.tokens):.3f} · {m.source}"
             for i, m in enumerate(scaling.REFERENCE_MODELS)]
    lines.append("  o compute-optimal frontier, budgets 1e18 .. 1e26 FLOPs")
    if budget is not None:
        best = scaling.compute_optimal(budget)
        lines.append(f"  X your budget {budget:.3g} FLOPs: N = {best.params:.3g}, "
                     f"D = {best.tokens:.3g} ({best.tokens_per_param:.0f} tokens per param), "
                     f"loss {best.loss:.3f}")
    return lines


def text_plot(budget: float | None = None, cols: int = 60, rows: int = 20) -> list[str]:
    """The map as lines of text, darker where the predicted loss is lower."""
    low, high = _loss_range()
    marks = overlay(cols, rows, budget)
    lines = [f"  predicted loss L(N, D), Chinchilla approach 3 · darker = lower "
             f"({high:.2f} '{SHADES[0]}' .. {low:.2f} '{SHADES[-1]}', log scale of L - E)"]
    for r in range(rows):
        tokens = _value(rows - 1 - r, D_RANGE, rows)
        cells = []
        for c in range(cols):
            value = scaling.loss(_value(c, N_RANGE, cols), tokens)
            shade = SHADES[min(int(_darkness(value) * len(SHADES)), len(SHADES) - 1)]
            cells.append(marks.get((r, c), shade))
        label = f"{tokens:8.0e}" if r % 4 == 0 or r == rows - 1 else " " * 8
        lines.append(f"  {label} |{''.join(cells)}|")
    axis = [" "] * cols
    for n in (1e8, 1e9, 1e10, 1e11, 1e12):
        col = _position(n, N_RANGE, cols)
        if col is not None:
            text = f"{n:.0e}"
            start = min(col, cols - len(text))
            axis[start : start + len(text)] = text
    lines.append("  tokens D  " + "".join(axis))
    lines.append(" " * 11 + "parameters N".center(cols))
    return lines + legend(budget)


def svg_plot(budget: float | None = None, cols: int = 60, rows: int = 40) -> str:
    """The same map as a standalone SVG (grey cells, darker = lower loss; labelled marks)."""
    cell, left, top = 10, 70, 40
    width, height = left + cols * cell + 260, top + rows * cell + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="20" font-size="14">Chinchilla L(N, D) = E + A/N^α + B/D^β '
             f'(approach 3); darker = lower loss</text>']
    for r in range(rows):
        tokens = _value(rows - 1 - r, D_RANGE, rows)
        for c in range(cols):
            value = scaling.loss(_value(c, N_RANGE, cols), tokens)
            grey = int(235 - 175 * _darkness(value))
            parts.append(f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{cell}" '
                         f'height="{cell}" fill="rgb({grey},{grey},{grey + 10})"/>')
    names = {MARKS[i]: m.name for i, m in enumerate(scaling.REFERENCE_MODELS)}
    names |= {"X": "your budget's optimum"}
    for (r, c), mark in overlay(cols, rows, budget).items():
        x, y = left + c * cell + cell / 2, top + r * cell + cell / 2
        colour = "#d62728" if mark == "X" else "#1f77b4" if mark == "o" else "#ff7f0e"
        parts.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>')
        if mark != "o":
            parts.append(f'<text x="{x + 6}" y="{y + 4}">{escape(names[mark])}</text>')
    for n in (1e8, 1e9, 1e10, 1e11, 1e12):
        col = _position(n, N_RANGE, cols)
        parts.append(f'<text x="{left + (col or 0) * cell}" y="{top + rows * cell + 16}">'
                     f'{n:.0e}</text>')
    for d in (1e9, 1e10, 1e11, 1e12, 1e13, 1e14):
        row = _position(d, D_RANGE, rows)
        parts.append(f'<text x="8" y="{top + (rows - 1 - (row or 0)) * cell + 8}">{d:.0e}</text>')
    parts.append(f'<text x="{left + cols * cell / 2 - 40}" y="{height - 20}">parameters N</text>')
    parts.append(f'<text x="8" y="{top - 8}">tokens D</text>')
    parts += [f'<text x="{left + cols * cell + 12}" y="{top + 14 * i}">{escape(line.strip())}'
              f'</text>' for i, line in enumerate(legend(budget)[:7])]
    parts.append("</svg>")
    return "\n".join(parts)
