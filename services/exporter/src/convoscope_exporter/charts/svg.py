"""Charts as inline SVG for the HTML report.

Every mark carries ``data-tip`` (the hover tooltip text) and ``data-series`` (for
the legend toggles); the page's small script adds the interaction, and ``<title>``
elements keep the values readable without script.
"""

from __future__ import annotations

from datetime import date
from html import escape

from convoscope_common.results import Chart
from convoscope_exporter.charts.layout import (
    TICK_SIZE,
    Box,
    Dot,
    Label,
    Path,
    Plot,
    Rule,
    layout,
    number,
)
from convoscope_exporter.charts.palette import scale_colour

WIDTH = 720
HEIGHT = 320
# Axis charts are laid out this wide and scaled up by the browser (about 1.4x in the report's
# column), so their 8-unit text reads at about 11 px.
PLOT_WIDTH = 520
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 30, 70


def _num(value: float) -> str:
    return number(value)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _mark(tag: str, attrs: str, tip: str, series: str) -> str:
    return (
        f'<{tag} class="mark" {attrs} data-tip="{_attr(tip)}" data-series="{_attr(series)}">'
        f"<title>{escape(tip)}</title></{tag}>"
    )


def _legend(plot: Plot) -> str:
    return "".join(
        f'<g class="legend-item" data-series="{_attr(k.name)}" tabindex="0" role="button" '
        f'aria-pressed="true" transform="translate({k.x:.1f},{k.y:.1f})">'
        f'<rect width="9" height="9" y="-8" fill="{k.colour}"/>'
        f'<text x="13" font-size="{TICK_SIZE}">{escape(k.name)}</text></g>'
        for k in plot.legend
    )


def _shape(shape: Box | Dot | Path | Rule | Label) -> str:
    if isinstance(shape, Box):
        return _mark(
            "rect",
            f'x="{shape.x:.1f}" y="{shape.y:.1f}" width="{max(shape.w, 0):.1f}" '
            f'height="{max(shape.h, 0):.1f}" fill="{shape.fill}"',
            shape.tip,
            shape.series,
        )
    if isinstance(shape, Dot):
        return _mark(
            "circle",
            f'cx="{shape.cx:.1f}" cy="{shape.cy:.1f}" r="{shape.r}" fill="{shape.fill}"',
            shape.tip,
            shape.series,
        )
    if isinstance(shape, Path):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
        return (
            f'<polyline class="line" data-series="{_attr(shape.series)}" points="{points}" '
            f'fill="none" stroke="{shape.stroke}" stroke-width="1.5"/>'
        )
    if isinstance(shape, Rule):
        return (
            f'<line class="{shape.kind}" x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" '
            f'x2="{shape.x2:.1f}" y2="{shape.y2:.1f}"/>'
        )
    rotate = (
        f' transform="rotate({-shape.angle:g} {shape.x:.1f} {shape.y:.1f})"' if shape.angle else ""
    )
    # A shortened label keeps its whole text as a tooltip (<title>), readable on hover.
    title = f"<title>{escape(shape.full)}</title>" if shape.full else ""
    return (
        f'<text class="lbl" x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" '
        f'text-anchor="{shape.anchor}"{rotate}>{title}{escape(shape.text)}</text>'
    )


def _axis_chart(chart: Chart) -> tuple[str, float, float]:
    plot = layout(chart, PLOT_WIDTH)
    return "".join(_shape(s) for s in plot.shapes) + _legend(plot), plot.width, plot.height


def _scale_key(right: float, baseline: float, maximum: float, unit: str) -> str:
    """What the shades mean: five swatches from 0 to the maximum, ending at ``right``."""
    text = f"{number(maximum)} {unit}"
    x = right - 7 * len(text) - 6 - 5 * 15
    swatches = "".join(
        f'<rect x="{x + i * 15:.1f}" y="{baseline - 9:.1f}" width="14" height="10" '
        f'fill="{scale_colour(maximum * i / 4, maximum)}"/>'
        for i in range(5)
    )
    return (
        f'<g class="scale-key"><text class="tick" x="{x - 4:.1f}" y="{baseline:.1f}" '
        f'text-anchor="end">0</text>{swatches}<text class="tick" x="{x + 5 * 15 + 4:.1f}" '
        f'y="{baseline:.1f}">{escape(text)}</text></g>'
    )


def _heatmap(chart: Chart) -> str:
    rows = len(chart.series)
    cols = len(chart.x)
    cell_w = (WIDTH - 100 - _RIGHT) / max(cols, 1)
    cell_h = (HEIGHT - _TOP - 40) / max(rows, 1)
    maximum = max((v for s in chart.series for v in s.values), default=0.0)
    parts = []
    for r, s in enumerate(chart.series):
        y = _TOP + r * cell_h
        parts.append(
            f'<text class="tick" x="94" y="{y + cell_h / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(s.name)}</text>'
        )
        for c, v in enumerate(s.values):
            tip = f"{s.name} {chart.x[c]}:00 - {_num(v)}"
            parts.append(
                _mark(
                    "rect",
                    f'x="{100 + c * cell_w:.1f}" y="{y:.1f}" '
                    f'width="{cell_w - 1:.1f}" height="{cell_h - 1:.1f}" '
                    f'fill="{scale_colour(v, maximum)}"',
                    tip,
                    s.name,
                )
            )
    for c, label in enumerate(chart.x):
        if c % 3 == 0:
            parts.append(
                f'<text class="tick" x="{100 + c * cell_w + cell_w / 2:.1f}" '
                f'y="{_TOP + rows * cell_h + 14:.1f}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append(_scale_key(WIDTH - _RIGHT, 12, maximum, chart.value_label or "messages"))
    return "".join(parts)


def _calendar_height(chart: Chart) -> int:
    days = [date.fromisoformat(d) for d in chart.x]
    weeks = (days[-1].toordinal() - days[0].toordinal() + days[0].weekday()) // 7 + 1
    return int(30 + 7 * min(14.0, (WIDTH - 60) / max(weeks, 1)) + 10 + 20)  # + the key


def _calendar(chart: Chart) -> str:
    days = [date.fromisoformat(d) for d in chart.x]
    values = chart.series[0].values
    first_monday = days[0].toordinal() - days[0].weekday()
    weeks = (days[-1].toordinal() - first_monday) // 7 + 1
    cell = min(14.0, (WIDTH - 60) / max(weeks, 1))
    maximum = max(values, default=0.0)
    parts = []
    for label, row in (("Mon", 0), ("Wed", 2), ("Fri", 4), ("Sun", 6)):
        parts.append(
            f'<text class="tick" x="40" y="{30 + row * cell + cell * 0.8:.1f}" '
            f'text-anchor="end">{label}</text>'
        )
    last_month = None
    label_end = -1.0  # right edge of the last month label, so labels never overlap
    for day, v in zip(days, values, strict=True):
        week = (day.toordinal() - first_monday) // 7
        x = 46 + week * cell
        y = 30 + day.weekday() * cell
        if day.month != last_month:
            # A month is labelled at its first column, or skipped when that would overlap.
            last_month = day.month
            text = f"{day:%b %Y}" if label_end < 0 or day.month == 1 else f"{day:%b}"
            if x >= label_end:
                parts.append(f'<text class="tick" x="{x:.1f}" y="24">{text}</text>')
                label_end = x + 6.5 * len(text) + 6
        parts.append(
            _mark(
                "rect",
                f'x="{x:.1f}" y="{y:.1f}" width="{cell - 2:.1f}" '
                f'height="{cell - 2:.1f}" fill="{scale_colour(v, maximum)}"',
                f"{day.isoformat()}: {_num(v)}",
                "messages",
            )
        )
    bottom = _calendar_height(chart) - 8
    right = max(46 + weeks * cell, 240.0)  # under the days, ending with the last week
    parts.append(_scale_key(right, bottom, maximum, chart.value_label or "messages"))
    return "".join(parts)


def chart_svg(chart: Chart) -> str:
    """One chart as a standalone ``<svg>`` element (no external references)."""
    if chart.kind in ("heatmap", "calendar"):
        body = _heatmap(chart) if chart.kind == "heatmap" else _calendar(chart)
        width: float = WIDTH
        height: float = HEIGHT if chart.kind == "heatmap" else _calendar_height(chart)
    else:
        body, width, height = _axis_chart(chart)
    return (
        f'<svg class="chart" data-chart="{_attr(chart.id)}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{_attr(chart.title)}" xmlns="http://www.w3.org/2000/svg">'
        f"{body}</svg>"
    )
