"""Charts as reportlab Drawings (vector, with extractable labels) for the PDF report."""

from __future__ import annotations

from datetime import date

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors

from convoscope_common.results import Chart
from convoscope_exporter.charts.palette import nice_max, scale_colour, series_colour, value_range

WIDTH = 460
HEIGHT = 220
_FONT = "Helvetica"


def _legend(drawing: Drawing, chart: Chart, x: float, y: float) -> None:
    if len(chart.series) < 2:
        return
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = _FONT
    legend.fontSize = 7
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.colorNamePairs = [
        (colors.HexColor(series_colour(s.name, i)), s.name) for i, s in enumerate(chart.series)
    ]
    drawing.add(legend)


def _short(labels: list[str], limit: int = 18) -> list[str]:
    every = max(1, len(labels) // 18)
    return [(label[:limit] if i % every == 0 else "") for i, label in enumerate(labels)]


def _bar_drawing(chart: Chart, stacked: bool) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 60, WIDTH - 130, HEIGHT - 80
    bars.data = [tuple(s.values) for s in chart.series]
    totals = (
        [sum(col) for col in zip(*bars.data, strict=True)]
        if stacked
        else [v for s in chart.series for v in s.values]
    )
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = nice_max(max(totals, default=0.0))
    bars.valueAxis.valueStep = bars.valueAxis.valueMax / 4
    bars.valueAxis.labels.fontName = _FONT
    bars.categoryAxis.categoryNames = _short(chart.x)
    bars.categoryAxis.labels.angle = 35
    bars.categoryAxis.labels.boxAnchor = "ne"
    bars.categoryAxis.labels.fontName = _FONT
    bars.categoryAxis.labels.fontSize = 7
    if stacked:
        bars.categoryAxis.style = "stacked"
    for i, s in enumerate(chart.series):
        bars.bars[i].fillColor = colors.HexColor(series_colour(s.name, i))
        bars.bars[i].strokeColor = None
    drawing.add(bars)
    _legend(drawing, chart, WIDTH - 10, HEIGHT - 20)
    return drawing


def _line_drawing(chart: Chart) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    lines = HorizontalLineChart()
    lines.x, lines.y, lines.width, lines.height = 40, 60, WIDTH - 130, HEIGHT - 80
    lines.data = [tuple(s.values) for s in chart.series]
    values = [v for s in chart.series for v in s.values]
    lines.valueAxis.valueMin, lines.valueAxis.valueMax = value_range(values)
    lines.valueAxis.valueStep = (lines.valueAxis.valueMax - lines.valueAxis.valueMin) / 4
    lines.valueAxis.labels.fontName = _FONT
    lines.categoryAxis.categoryNames = _short(chart.x)
    lines.categoryAxis.labels.angle = 35
    lines.categoryAxis.labels.boxAnchor = "ne"
    lines.categoryAxis.labels.fontName = _FONT
    lines.categoryAxis.labels.fontSize = 7
    lines.joinedLines = 1
    for i, s in enumerate(chart.series):
        lines.lines[i].strokeColor = colors.HexColor(series_colour(s.name, i))
        lines.lines[i].strokeWidth = 1.5
    drawing.add(lines)
    _legend(drawing, chart, WIDTH - 10, HEIGHT - 20)
    return drawing


def _heatmap_drawing(chart: Chart) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    rows, cols = len(chart.series), len(chart.x)
    left, bottom = 60, 24
    cell_w = (WIDTH - left - 10) / max(cols, 1)
    cell_h = (HEIGHT - bottom - 10) / max(rows, 1)
    maximum = max((v for s in chart.series for v in s.values), default=0.0)
    for r, s in enumerate(chart.series):
        y = HEIGHT - 10 - (r + 1) * cell_h  # first series (Monday) on top
        drawing.add(
            String(
                left - 4,
                y + cell_h / 2 - 3,
                s.name[:10],
                fontName=_FONT,
                fontSize=7,
                textAnchor="end",
            )
        )
        for c, v in enumerate(s.values):
            drawing.add(
                Rect(
                    left + c * cell_w,
                    y,
                    cell_w - 1,
                    cell_h - 1,
                    strokeColor=None,
                    fillColor=colors.HexColor(scale_colour(v, maximum)),
                )
            )
    for c, label in enumerate(chart.x):
        if c % 3 == 0:
            drawing.add(
                String(
                    left + c * cell_w + cell_w / 2,
                    bottom - 12,
                    label,
                    fontName=_FONT,
                    fontSize=7,
                    textAnchor="middle",
                )
            )
    return drawing


def _calendar_drawing(chart: Chart) -> Drawing:
    days = [date.fromisoformat(d) for d in chart.x]
    values = chart.series[0].values
    first_monday = days[0].toordinal() - days[0].weekday()
    weeks = (days[-1].toordinal() - first_monday) // 7 + 1
    cell = min(12.0, (WIDTH - 40) / max(weeks, 1))
    height = 7 * cell + 30
    drawing = Drawing(WIDTH, height)
    maximum = max(values, default=0.0)
    for label, row in (("Mon", 0), ("Thu", 3), ("Sun", 6)):
        drawing.add(
            String(
                30,
                height - 20 - (row + 1) * cell + 2,
                label,
                fontName=_FONT,
                fontSize=6,
                textAnchor="end",
            )
        )
    last_month = None
    label_end = -1.0  # right edge of the last month label, so labels never overlap
    for day, v in zip(days, values, strict=True):
        week = (day.toordinal() - first_monday) // 7
        x = 34 + week * cell
        y = height - 20 - (day.weekday() + 1) * cell
        if day.month != last_month:
            # A month is labelled at its first column, or skipped when that would overlap.
            last_month = day.month
            text = f"{day:%b %Y}" if label_end < 0 or day.month == 1 else f"{day:%b}"
            if x >= label_end:
                drawing.add(String(x, height - 12, text, fontName=_FONT, fontSize=6))
                label_end = x + 3.6 * len(text) + 4
        drawing.add(
            Rect(
                x,
                y,
                cell - 1.5,
                cell - 1.5,
                strokeColor=None,
                fillColor=colors.HexColor(scale_colour(v, maximum)),
            )
        )
    return drawing


def chart_drawing(chart: Chart) -> Drawing:
    """One chart as a reportlab Drawing sized for an A4 text column."""
    if chart.kind in ("bar", "histogram", "pie"):
        return _bar_drawing(chart, stacked=False)
    if chart.kind == "stacked_bar":
        return _bar_drawing(chart, stacked=True)
    if chart.kind == "line":
        return _line_drawing(chart)
    if chart.kind == "heatmap":
        return _heatmap_drawing(chart)
    return _calendar_drawing(chart)
