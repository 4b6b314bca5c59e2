"""Charts as reportlab Drawings (vector, with extractable labels) for the PDF report."""

from __future__ import annotations

import math
from datetime import date

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics

from convoscope_common.results import Chart
from convoscope_exporter.charts.layout import Box, Dot, Label, Path, Rule, layout, number
from convoscope_exporter.charts.palette import scale_colour
from convoscope_exporter.fonts import BASE, font_set

WIDTH = 500
HEIGHT = 220
_FONT = BASE
_INK = colors.HexColor("#333333")
_AXIS = colors.HexColor("#566573")
_GRID = colors.HexColor("#E5E8E8")


def _label(label: Label, height: float) -> Group | String:
    fonts = font_set()
    font = fonts.label_font(label.text)
    text = fonts.label_text(label.text)
    if not label.angle:
        return String(
            label.x,
            height - label.y,
            text,
            fontName=font,
            fontSize=label.size,
            textAnchor=label.anchor,
            fillColor=_INK,
        )
    group = Group(
        String(
            0, 0, text, fontName=font, fontSize=label.size, textAnchor=label.anchor, fillColor=_INK
        )
    )
    group.transform = _rotated(label.x, height - label.y, label.angle)
    return group


def _rotated(x: float, y: float, degrees: float) -> tuple[float, ...]:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return (c, s, -s, c, x, y)


def _axis_drawing(chart: Chart) -> Drawing:
    fonts = font_set()

    def measure(text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, fonts.label_font(text), size))

    plot = layout(chart, WIDTH, measure)
    h = plot.height
    drawing = Drawing(plot.width, h)
    for shape in plot.shapes:
        if isinstance(shape, Box):
            drawing.add(
                Rect(
                    shape.x,
                    h - shape.y - shape.h,
                    max(shape.w, 0),
                    max(shape.h, 0),
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        elif isinstance(shape, Dot):
            drawing.add(
                Circle(
                    shape.cx,
                    h - shape.cy,
                    shape.r,
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        elif isinstance(shape, Path):
            points = [v for x, y in shape.points for v in (x, h - y)]
            drawing.add(
                PolyLine(points, strokeColor=colors.HexColor(shape.stroke), strokeWidth=1.5)
            )
        elif isinstance(shape, Rule):
            drawing.add(
                Line(
                    shape.x1,
                    h - shape.y1,
                    shape.x2,
                    h - shape.y2,
                    strokeColor=_AXIS if shape.kind == "axis" else _GRID,
                    strokeWidth=0.5,
                )
            )
        else:
            drawing.add(_label(shape, h))
    for key in plot.legend:
        drawing.add(
            Rect(key.x, h - key.y, 8, 8, fillColor=colors.HexColor(key.colour), strokeColor=None)
        )
        drawing.add(_label(Label(key.x + 12, key.y, key.name), h))
    return drawing


_KEY_HEIGHT = 18


def _scale_key(drawing: Drawing, right: float, y: float, maximum: float, unit: str) -> None:
    """What the shades mean: five swatches from 0 to the maximum, right-aligned at ``right``."""
    text = f"{number(maximum)} {unit}"
    text_w = pdfmetrics.stringWidth(text, _FONT, 7)
    x = right - text_w - 4 - 5 * 11
    drawing.add(String(x - 4, y + 1, "0", fontName=_FONT, fontSize=7, textAnchor="end"))
    for i in range(5):
        drawing.add(
            Rect(
                x + i * 11, y, 10, 8, strokeColor=None,
                fillColor=colors.HexColor(scale_colour(maximum * i / 4, maximum)),
            )
        )  # fmt: skip
    drawing.add(String(x + 5 * 11 + 4, y + 1, text, fontName=_FONT, fontSize=7, fillColor=_INK))


def _heatmap_drawing(chart: Chart) -> Drawing:
    # The rows keep their geometry; the key takes a band above them.
    drawing = Drawing(WIDTH, HEIGHT + _KEY_HEIGHT)
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
    _scale_key(drawing, WIDTH - 10, HEIGHT + 4, maximum, chart.value_label or "messages")
    return drawing


def _calendar_drawing(chart: Chart) -> Drawing:
    days = [date.fromisoformat(d) for d in chart.x]
    values = chart.series[0].values
    first_monday = days[0].toordinal() - days[0].weekday()
    weeks = (days[-1].toordinal() - first_monday) // 7 + 1
    cell = min(12.0, (WIDTH - 40) / max(weeks, 1))
    height = 7 * cell + 30 + _KEY_HEIGHT  # the key takes a band below the days
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
    # Under the days, ending where the last week ends (or far enough right to fit).
    _scale_key(drawing, max(34 + weeks * cell, 170.0), 2, maximum, chart.value_label or "messages")
    return drawing


def chart_drawing(chart: Chart) -> Drawing:
    """One chart as a reportlab Drawing sized for an A4 text column."""
    font_set()  # registers the fonts the drawing names
    if chart.kind == "heatmap":
        return _heatmap_drawing(chart)
    if chart.kind == "calendar":
        return _calendar_drawing(chart)
    return _axis_drawing(chart)
