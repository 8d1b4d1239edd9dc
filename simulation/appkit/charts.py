"""Light line charts as inline SVG for the app's live indicators.

An SVG string costs well under a millisecond to build and nothing to fetch, so every chart can
follow the city as it animates (an altair chart takes ~0.3 s a frame here, a matplotlib one
~1.5 s). Each chart is an ``<svg class="crimesim-chart">`` with one ``<path>`` per series
(``data-series`` names it), axes with ticks, and a legend; tests count the paths.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 380, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 26, 44
PALETTE: tuple[str, ...] = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                            "#17becf", "#7f7f7f")
"""Hex colours (named colours do not travel well between plotting libraries)."""
MARKED_POINTS = 12
"""Series with this many points or fewer get a marker on each."""


@dataclass(frozen=True)
class Line:
    """One series of a chart: its label, values (NaN = gap), colour, and style."""

    label: str
    values: Sequence[float]
    colour: str
    dashed: bool = False
    points: bool = False  # markers only (e.g. an annual survey)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values spanning [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def format_tick(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2g}"


def line_chart(title: str, x: Sequence[float], lines: Sequence[Line], y_label: str = "",
               x_label: str = "year", percent: bool = False, y_min: float | None = 0.0,
               key: str = "") -> str:
    """An SVG line chart of ``lines`` against ``x``; empty data draws axes and a note."""
    finite = [v for line in lines for v in line.values if v is not None and math.isfinite(v)]
    low = min(finite) if finite else 0.0
    high = max(finite) if finite else 1.0
    if y_min is not None:
        low = min(low, y_min)
    y_ticks = nice_ticks(low, high)
    y0, y1 = y_ticks[0], y_ticks[-1]
    x0 = min(x) if len(x) else 0.0
    x1 = max(x) if len(x) else 1.0
    if x1 <= x0:
        x1 = x0 + 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(value: float) -> float:
        return LEFT + (value - x0) / (x1 - x0) * plot_w

    def py(value: float) -> float:
        return TOP + plot_h - (value - y0) / (y1 - y0) * plot_h

    parts = [f'<svg class="crimesim-chart" data-chart="{html.escape(key or title)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH * 1.4:.0f}px" '
             f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{LEFT}" y="15" font-size="13" font-weight="bold">{html.escape(title)}</text>']
    for tick in y_ticks:
        y = py(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e4e4e4"/><text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{format_tick(tick, percent)}</text>')
    whole_x = all(float(value).is_integer() for value in x)  # years of a game: no 1.5
    for tick in nice_ticks(x0, x1, 5):
        if x0 - 1e-9 <= tick <= x1 + 1e-9 and (not whole_x or float(tick).is_integer()):
            xx = px(tick)
            parts.append(f'<text x="{xx:.1f}" y="{TOP + plot_h + 13}" font-size="10" '
                         f'text-anchor="middle">{format_tick(tick, False)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#444"/>'
                 f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
                 f'stroke="#444"/>')
    if y_label:
        parts.append(f'<text x="12" y="{TOP + plot_h / 2:.0f}" font-size="10" text-anchor="middle" '
                     f'transform="rotate(-90 12 {TOP + plot_h / 2:.0f})">{html.escape(y_label)}</text>')
    if not finite:
        parts.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h / 2:.0f}" font-size="11" '
                     f'text-anchor="middle" fill="#888">press Step or Play</text>')
    for line in lines:
        points = [(px(xv), py(v)) for xv, v in zip(x, line.values)
                  if v is not None and math.isfinite(v)]
        label = html.escape(line.label)
        if line.points:
            dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{line.colour}"/>' for a, b in points)
            parts.append(f'<g data-series="{label}" data-points="{len(points)}">{dots}</g>')
            continue
        path = _path(x, line.values, px, py)
        dash = ' stroke-dasharray="4 3"' if line.dashed else ""
        parts.append(f'<path data-series="{label}" data-points="{len(points)}" d="{path}" fill="none" '
                     f'stroke="{line.colour}" stroke-width="1.6"{dash}/>')
        if len(points) <= MARKED_POINTS:  # a few yearly points: mark them (one alone has no line)
            parts.append("".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{line.colour}"/>'
                                 for a, b in points))
    legend_y = HEIGHT - 14
    cursor = LEFT
    for line in lines:
        parts.append(f'<rect x="{cursor}" y="{legend_y - 8}" width="10" height="8" fill="{line.colour}"/>'
                     f'<text x="{cursor + 13}" y="{legend_y}" font-size="10">{html.escape(line.label)}</text>')
        cursor += 18 + 5.6 * len(line.label)
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 2}" font-size="9" text-anchor="end" '
                 f'fill="#666">{html.escape(x_label)}</text></svg>')
    return "".join(parts)


def _path(x: Sequence[float], values: Sequence[float], px, py) -> str:
    """SVG path data; a NaN breaks the line."""
    commands, pen_down = [], False
    for xv, v in zip(x, values):
        if v is None or not math.isfinite(v):
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{px(xv):.1f},{py(v):.1f}")
        pen_down = True
    return "".join(commands) or "M0,0"
