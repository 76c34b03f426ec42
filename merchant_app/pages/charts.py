"""Inline SVG charts drawn on the server (no JavaScript chart library, works offline).

Readable without colour: each series has its own dash pattern and marker shape and is named in
the legend; every chart has a <title> and <desc>, and the pages print the numbers in a table
next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from merchant_app.pages.money import group_thousands

CHART_WIDTH_PX = 720
CHART_HEIGHT_PX = 320
BAR_ROW_PX = 28
MAX_SERIES = 6
MAX_POINTS = 400  # a year of days; longer ranges are aggregated before charting
MAX_BARS = 50

_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 56, 16, 16, 56
_DASHES = ("", "8 4", "2 4", "12 4 2 4", "4 4", "1 2")
_MARKERS = ("circle", "square", "triangle", "diamond", "cross", "circle")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def line_chart(
    title: str, labels: list[str], series: list[Series], *, percent: bool = False
) -> Markup:
    """A line chart of several series over the same x labels (dates)."""
    assert len(series) <= MAX_SERIES, "too many series for one chart"
    assert len(labels) <= MAX_POINTS, "aggregate long ranges before charting"
    assert all(len(s.values) == len(labels) for s in series), "one value per label"
    top = 100.0 if percent else _nice_top(max([0.0] + [v for s in series for v in s.values]))
    plot_w = CHART_WIDTH_PX - _PAD_LEFT - _PAD_RIGHT
    plot_h = CHART_HEIGHT_PX - _PAD_TOP - _PAD_BOTTOM
    step = plot_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return _PAD_LEFT + i * step

    def y(value: float) -> float:
        return _PAD_TOP + plot_h * (1 - value / top)

    parts = [_axes(top, percent, plot_w, plot_h), _x_labels(labels, x)]
    for index, one in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(one.values))
        dash = _DASHES[index]
        parts.append(
            f'<polyline fill="none" stroke="#111" stroke-width="2.5" points="{points}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        parts.extend(_marker(_MARKERS[index], x(i), y(v)) for i, v in enumerate(one.values))
    legend = _legend([s.name for s in series])
    return _svg(title, CHART_HEIGHT_PX + 24 * len(series), "".join(parts) + legend)


def bar_chart(title: str, rows: list[tuple[str, float]], *, percent: bool = False) -> Markup:
    """Horizontal bars with their value written at the end (a ranking)."""
    rows = rows[:MAX_BARS]
    top = 100.0 if percent else max([1.0] + [value for _, value in rows])
    label_w, bar_max = 220, CHART_WIDTH_PX - 220 - 90
    parts = []
    for index, (label, value) in enumerate(rows):
        top_y = 8 + index * BAR_ROW_PX
        width = bar_max * value / top
        shown = f"{value:.0f}%" if percent else group_thousands(round(value))
        parts.append(
            f'<text x="{label_w - 8}" y="{top_y + 18}" text-anchor="end">'
            f"{escape(label[:30])}</text>"
            f'<rect x="{label_w}" y="{top_y + 4}" width="{width:.1f}" height="{BAR_ROW_PX - 10}"'
            f' fill="#0b5394" stroke="#111"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{top_y + 18}">{shown}</text>'
        )
    return _svg(title, 16 + BAR_ROW_PX * max(1, len(rows)), "".join(parts))


def _nice_top(largest: float) -> float:
    """The axis top: a multiple of 4 at or above the largest value, so each of the 4 grid
    steps is a whole number (counts are whole; "0, 0, 1, 1" ticks would mislead)."""
    return float(max(4, 4 * math.ceil(largest / 4)))


def _svg(title: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH_PX} {height}"'
        f' role="img" font-family="sans-serif" font-size="14">'
        f"<title>{escape(title)}</title><desc>{escape(title)}</desc>{body}</svg>"
    )


def _axes(top: float, percent: bool, plot_w: float, plot_h: float) -> str:
    lines = []
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _PAD_TOP + plot_h * (1 - fraction)
        value = top * fraction
        shown = f"{value:.0f}%" if percent else group_thousands(round(value))
        lines.append(
            f'<line x1="{_PAD_LEFT}" x2="{_PAD_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="#bbb"/><text x="{_PAD_LEFT - 6}" y="{y + 5:.1f}" text-anchor="end">'
            f"{shown}</text>"
        )
    return "".join(lines)


def _x_labels(labels: list[str], x) -> str:  # type: ignore[no-untyped-def]
    if not labels:
        return ""
    every = max(1, len(labels) // 6)
    y = CHART_HEIGHT_PX - _PAD_BOTTOM + 20
    return "".join(
        f'<text x="{x(i):.1f}" y="{y}" text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0 or i == len(labels) - 1
    )


def _marker(shape: str, cx: float, cy: float) -> str:
    if shape == "square":
        return f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="#111"/>'
    if shape == "triangle":
        return (
            f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx - 5:.1f},{cy + 4:.1f} '
            f'{cx + 5:.1f},{cy + 4:.1f}" fill="#fff" stroke="#111"/>'
        )
    if shape == "diamond":
        return (
            f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy:.1f} {cx:.1f},{cy + 5:.1f} '
            f'{cx - 5:.1f},{cy:.1f}" fill="#111"/>'
        )
    if shape == "cross":
        return (
            f'<path d="M{cx - 4:.1f} {cy - 4:.1f}L{cx + 4:.1f} {cy + 4:.1f}M{cx + 4:.1f} '
            f'{cy - 4:.1f}L{cx - 4:.1f} {cy + 4:.1f}" stroke="#111" stroke-width="2"/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="#fff" stroke="#111"/>'


def _legend(names: list[str]) -> str:
    parts = []
    for index, name in enumerate(names):
        y = CHART_HEIGHT_PX + 4 + index * 24
        dash = _DASHES[index]
        parts.append(
            f'<line x1="{_PAD_LEFT}" x2="{_PAD_LEFT + 40}" y1="{y}" y2="{y}" stroke="#111"'
            f' stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
            + _marker(_MARKERS[index], _PAD_LEFT + 20, y)
            + f'<text x="{_PAD_LEFT + 50}" y="{y + 5}">{escape(name)}</text>'
        )
    return "".join(parts)
