"""Geometry of the axis charts (bars, stacked bars, lines), shared by the SVG and PDF drawings.

Pure layout: a chart goes in, positioned shapes come out (y grows downwards, as in SVG);
each renderer only translates shapes. Both formats therefore get the same rules:

- one value axis per chart, titled with ``Chart.value_label`` (a mean and a count never
  share one: the engine gives them separate charts);
- categorical bars run horizontally, so long names are read left to right, never rotated;
  a name too long for its column ends in an ellipsis and keeps its full text as a tooltip;
- time and histogram axes label every category when the labels fit, otherwise rotate them
  and label every k-th so rotated labels never overlap;
- colours come from :mod:`palette`, by category name, so a category has one colour everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from convoscope_common.results import Chart
from convoscope_exporter.charts.palette import series_colour, value_range

Measure = Callable[[str, float], float]
Anchor = Literal["start", "middle", "end"]

TICK_SIZE = 8.0
GAP = 4.0
_TIME_LABEL = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tip: str
    series: str


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    fill: str
    tip: str
    series: str


@dataclass(frozen=True)
class Path:
    points: tuple[tuple[float, float], ...]
    stroke: str
    series: str


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: Literal["axis", "grid"]


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # baseline
    text: str
    anchor: Anchor = "start"
    angle: float = 0.0  # degrees, counter-clockwise
    size: float = TICK_SIZE
    full: str = ""  # the whole text when ``text`` was shortened


@dataclass(frozen=True)
class Key:
    """A legend entry: a swatch at (x, y) and the name after it."""

    x: float
    y: float
    name: str
    colour: str


@dataclass
class Plot:
    width: float
    height: float
    shapes: list[Box | Dot | Path | Rule | Label] = field(default_factory=list)
    legend: list[Key] = field(default_factory=list)


def approx_width(text: str, size: float) -> float:
    """A font-independent width estimate (the SVG side cannot measure the browser's font):
    wide East Asian characters count one em, others 0.58 em."""
    wide = sum(1 for c in text if ord(c) >= 0x1100 and not 0x2000 <= ord(c) < 0x2E00)
    return size * (wide + 0.58 * (len(text) - wide))


def fit(text: str, width: float, size: float, measure: Measure) -> str:
    """``text`` shortened with an ellipsis so it fits in ``width``."""
    if measure(text, size) <= width:
        return text
    cut = text
    while cut and measure(cut + ELLIPSIS, size) > width:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def number(value: float) -> str:
    """Axis and tooltip numbers: integers plain, others to at most 3 decimals."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def is_time_axis(labels: list[str]) -> bool:
    """True when every category is a month or a day (drawn left to right, in order)."""
    return bool(labels) and all(_TIME_LABEL.match(x) for x in labels)


def horizontal(chart: Chart) -> bool:
    """Categorical bar charts run horizontally; time series and histograms vertically."""
    return chart.kind in ("bar", "stacked_bar", "pie") and not is_time_axis(chart.x)


def _legend(chart: Chart, plot: Plot, left: float, measure: Measure) -> float:
    """Lay the legend out in rows above the plot; returns the height it takes."""
    if len(chart.series) < 2:
        return 0.0
    x, y = left, TICK_SIZE + 2
    for i, s in enumerate(chart.series):
        w = 14 + measure(s.name, TICK_SIZE) + 12
        if x + w > plot.width and x > left:
            x, y = left, y + TICK_SIZE + 6
        plot.legend.append(Key(x, y, s.name, series_colour(s.name, i)))
        x += w
    return y + 8


def nice_step(raw: float, integer: bool) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above ``raw`` (no 2.5 and nothing below 1
    for counts, so count axes never show fractions)."""
    if raw <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw * (1 - 1e-9))
    return max(step, 1.0) if integer else step


def ticks(chart: Chart, stacked: bool) -> list[float]:
    """Value-axis ticks from the lowest to the highest: counts in whole steps from 0, means
    from 0 (or symmetric around 0 when they go negative), at most six ticks."""
    values = [v for s in chart.series for v in s.values]
    if chart.kind == "line" and min(values, default=0.0) < 0:
        low, high = value_range(values)
        return [low + (high - low) * i / 4 for i in range(5)]
    if stacked:
        top = max((sum(s.values[i] for s in chart.series) for i in range(len(chart.x))), default=0)
    else:
        top = max(values, default=0.0)
    integer = chart.kind != "line" and all(float(v).is_integer() for v in values)
    step = nice_step(top / 5, integer)
    count = max(1, math.ceil(top / step - 1e-9))
    return [step * i for i in range(count + 1)]


def _horizontal_bars(chart: Chart, width: float, measure: Measure) -> Plot:
    stacked = chart.kind == "stacked_bar"
    row = 16.0 if stacked or len(chart.series) == 1 else 8.0 * len(chart.series) + 6
    plot = Plot(width, 0.0)
    top = _legend(chart, plot, 8.0, measure) + 6
    longest = max((measure(x, TICK_SIZE) for x in chart.x), default=0.0)
    label_w = min(longest, width * 0.38)
    left = 8 + label_w + GAP
    right = width - 16
    marks = ticks(chart, stacked)
    low, high = marks[0], marks[-1]
    span = (high - low) or 1.0
    plot_h = row * len(chart.x)
    bottom = top + plot_h

    def x_of(v: float) -> float:
        return left + (right - left) * (v - low) / span

    for t in marks:
        plot.shapes.append(Rule(x_of(t), top, x_of(t), bottom, "grid"))
        plot.shapes.append(Label(x_of(t), bottom + TICK_SIZE + 4, number(t), "middle"))
    plot.shapes.append(Rule(left, top, left, bottom, "axis"))
    groups = 1 if stacked else len(chart.series)
    bar_h = (row - 6) / groups
    for i, name in enumerate(chart.x):
        y0 = top + i * row
        shown = fit(name, label_w, TICK_SIZE, measure)
        plot.shapes.append(
            Label(
                left - GAP,
                y0 + row / 2 + TICK_SIZE / 3,
                shown,
                "end",
                full=name if shown != name else "",
            )
        )
        base = 0.0
        for k, s in enumerate(chart.series):
            v = s.values[i]
            y = y0 + 3 + (0 if stacked else k * bar_h)
            x = x_of(base) if stacked else x_of(0.0)
            tip = f"{name} - {s.name}: {number(v)}"
            plot.shapes.append(
                Box(x, y, x_of(base + v) - x_of(base), bar_h, series_colour(s.name, k), tip, s.name)
            )
            if stacked:
                base += v
    title_y = bottom + 2 * TICK_SIZE + 10
    if chart.value_label:
        plot.shapes.append(
            Label((left + right) / 2, title_y, chart.value_label, "middle", size=TICK_SIZE + 1)
        )
    plot.height = title_y + 6
    return plot


def _x_axis(
    plot: Plot, labels: list[str], left: float, step: float, base: float, measure: Measure
) -> float:
    """Category labels under a vertical chart; returns the space they take below ``base``."""
    limit = 90.0
    shown = [fit(x, limit, TICK_SIZE, measure) for x in labels]
    widest = max((measure(x, TICK_SIZE) for x in shown), default=0.0)
    if widest + GAP <= step:
        for i, (text, full) in enumerate(zip(shown, labels, strict=True)):
            x = left + step * i + step / 2
            plot.shapes.append(
                Label(x, base + TICK_SIZE + 4, text, "middle", full=full if text != full else "")
            )
        return TICK_SIZE + 8
    # Rotated 45°: neighbouring labels are step * sin(45°) apart across their baselines;
    # label every k-th category so that distance is at least one line of text.
    every = max(1, math.ceil((TICK_SIZE * 1.4) / (step * math.sin(math.radians(45)))))
    for i, (text, full) in enumerate(zip(shown, labels, strict=True)):
        if i % every:
            continue
        x = left + step * i + step / 2
        plot.shapes.append(
            Label(x, base + TICK_SIZE + 2, text, "end", angle=45, full=full if text != full else "")
        )
    return widest * math.sin(math.radians(45)) + TICK_SIZE + 8


def _vertical(chart: Chart, width: float, height: float, measure: Measure) -> Plot:
    stacked = chart.kind == "stacked_bar"
    plot = Plot(width, height)
    top = _legend(chart, plot, 8.0, measure) + 8
    marks = ticks(chart, stacked)
    low, high = marks[0], marks[-1]
    span = (high - low) or 1.0
    tick_w = max(measure(number(t), TICK_SIZE) for t in marks)
    left = 8 + (TICK_SIZE + 4 if chart.value_label else 0) + tick_w + GAP
    right = width - 12
    n = max(len(chart.x), 1)
    step = (right - left) / n
    # Reserve the label band first (its height depends on rotation), then the plot.
    probe = Plot(width, height)
    band = _x_axis(probe, chart.x, left, step, 0.0, measure)
    bottom = height - band
    plot_h = bottom - top

    def y_of(v: float) -> float:
        return bottom - plot_h * (v - low) / span

    for t in marks:
        plot.shapes.append(Rule(left, y_of(t), right, y_of(t), "grid"))
        plot.shapes.append(Label(left - GAP, y_of(t) + TICK_SIZE / 3, number(t), "end"))
    plot.shapes.append(Rule(left, y_of(max(low, 0.0)), right, y_of(max(low, 0.0)), "axis"))
    if chart.value_label:
        plot.shapes.append(
            Label(
                8 + TICK_SIZE,
                (top + bottom) / 2,
                fit(chart.value_label, plot_h, TICK_SIZE, measure),
                "middle",
                angle=90,
            )
        )
    if chart.kind == "line":
        for k, s in enumerate(chart.series):
            colour = series_colour(s.name, k)
            points = tuple((left + step * i + step / 2, y_of(v)) for i, v in enumerate(s.values))
            plot.shapes.append(Path(points, colour, s.name))
            for i, (v, (cx, cy)) in enumerate(zip(s.values, points, strict=True)):
                tip = f"{chart.x[i]} - {s.name}: {number(round(v, 3))}"
                plot.shapes.append(Dot(cx, cy, 2.5, colour, tip, s.name))
    else:
        groups = 1 if stacked else len(chart.series)
        bar_w = step * 0.8 / groups
        for i, name in enumerate(chart.x):
            base = 0.0
            for k, s in enumerate(chart.series):
                v = s.values[i]
                x = left + step * i + step * 0.1 + (0 if stacked else k * bar_w)
                y_top = y_of(base + v)
                tip = f"{name} - {s.name}: {number(v)}"
                plot.shapes.append(
                    Box(x, y_top, bar_w, y_of(base) - y_top, series_colour(s.name, k), tip, s.name)
                )
                if stacked:
                    base += v
    _x_axis(plot, chart.x, left, step, bottom, measure)
    return plot


def layout(chart: Chart, width: float, measure: Measure = approx_width) -> Plot:
    """Positioned shapes for a bar, stacked-bar, histogram or line chart ``width`` wide."""
    if horizontal(chart):
        return _horizontal_bars(chart, width, measure)
    return _vertical(chart, width, width * 0.42, measure)
