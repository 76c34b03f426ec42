"""The briefing's charts as reportlab Drawings: one drawing serves both PDF and SVG (HTML).

Readable in black and white: every line has its own dash pattern and marker, bars are labelled
with their value, and each chart is titled in Vietnamese.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CHART_WIDTH_PT = 500
CHART_HEIGHT_PT = 260
MAX_LINES = 6
MAX_BARS = 30
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT = "ReportSans"
_DASHES = (None, (6, 3), (2, 2), (8, 3, 2, 3), (4, 4), (1, 2))
_MARKERS = ("FilledCircle", "FilledSquare", "FilledTriangle", "FilledDiamond", "Cross", "Circle")


def font() -> str:
    """A font with Vietnamese letters (DejaVu, installed by setup); Helvetica lacks them."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))
    return FONT


def _titled(title: str, height: float) -> Drawing:
    drawing = Drawing(CHART_WIDTH_PT, height)
    drawing.add(String(0, height - 14, title, fontName=font(), fontSize=12))
    return drawing


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    *,
    x_labels: dict[float, str],
    percent: bool = True,
) -> Drawing:
    """Lines over time; x values are day numbers, labelled by ``x_labels``."""
    names = list(series)[:MAX_LINES]
    legend_rows = (len(names) + 1) // 2
    drawing = _titled(title, CHART_HEIGHT_PT + 16 * legend_rows)
    plot = LinePlot()
    plot.x, plot.y = 45, 30 + 16 * legend_rows
    plot.width, plot.height = CHART_WIDTH_PT - 60, CHART_HEIGHT_PT - 60
    plot.data = [series[name] or [(0.0, 0.0)] for name in names]
    for index in range(len(names)):
        line = plot.lines[index]
        line.strokeColor = colors.black
        line.strokeWidth = 1.5
        line.strokeDashArray = _DASHES[index]
        line.symbol = makeMarker(_MARKERS[index], size=4)  # type: ignore[no-untyped-call]
    plot.yValueAxis.valueMin = 0
    if percent:
        plot.yValueAxis.valueMax = 100
        plot.yValueAxis.labelTextFormat = "%d%%"
    plot.yValueAxis.labels.fontName = font()
    ticks = sorted(x_labels)
    if ticks:
        plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = ticks[0], max(ticks[-1], ticks[0] + 1)
        step = max(1, len(ticks) // 6)
        plot.xValueAxis.valueSteps = ticks[::step]
        plot.xValueAxis.labelTextFormat = lambda value: x_labels.get(value, "")
    plot.xValueAxis.labels.fontName = font()
    plot.xValueAxis.labels.fontSize = 7
    drawing.add(plot)
    # A hand-drawn legend: a sample of each line (its dash and marker) next to its name, so the
    # chart reads the same in black and white.
    for index, name in enumerate(names):
        x = 45 + (index % 2) * 230
        y = 12 + 16 * (legend_rows - 1 - index // 2)
        dash = _DASHES[index]
        sample = Line(x, y + 4, x + 28, y + 4, strokeColor=colors.black, strokeWidth=1.5)
        if dash is not None:
            sample.strokeDashArray = dash
        drawing.add(sample)
        marker = makeMarker(_MARKERS[index], size=4)  # type: ignore[no-untyped-call]
        marker.x, marker.y = x + 14, y + 4
        drawing.add(marker)
        drawing.add(String(x + 34, y, name, fontName=font(), fontSize=9))
    return drawing


def bar_chart(title: str, bars: list[tuple[str, float]], *, percent: bool = True) -> Drawing:
    """Horizontal bars, largest first (a ranking)."""
    shown = bars[:MAX_BARS]
    row_pt = 16
    height = 40 + row_pt * max(1, len(shown))
    drawing = _titled(title, height + 10)
    chart = HorizontalBarChart()
    chart.x, chart.y = 170, 10
    chart.width, chart.height = CHART_WIDTH_PT - 220, height - 30
    # reportlab draws the first category at the bottom: reverse so the leader is on top.
    chart.data = [[value for _name, value in reversed(shown)] or [0.0]]
    chart.categoryAxis.categoryNames = [name[:28] for name, _value in reversed(shown)] or [""]
    chart.categoryAxis.labels.fontName = font()
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    if percent:
        chart.valueAxis.valueMax = 100
    chart.valueAxis.labels.fontName = font()
    chart.bars[0].fillColor = colors.grey
    chart.barLabelFormat = "%.0f%%" if percent else "%.0f"
    chart.barLabels.fontName = font()
    chart.barLabels.boxAnchor = "w"
    drawing.add(chart)
    return drawing


def to_svg(drawing: Drawing) -> str:
    svg: str = renderSVG.drawToString(drawing)
    # Drop the XML prolog and DOCTYPE so the drawing can sit inline in an HTML page.
    return svg[svg.index("<svg") :]
