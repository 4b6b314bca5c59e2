"""Charts as inline SVG for the HTML report.

Every mark carries ``data-tip`` (the hover tooltip text) and ``data-series`` (for
the legend toggles); the page's small script adds the interaction, and ``<title>``
elements keep the values readable without script.
"""

from __future__ import annotations

from datetime import date
from html import escape

from convoscope_common.results import Chart
from convoscope_exporter.charts.palette import nice_max, scale_colour, series_colour, value_range

WIDTH = 720
HEIGHT = 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 30, 70


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _mark(tag: str, attrs: str, tip: str, series: str) -> str:
    return (
        f'<{tag} class="mark" {attrs} data-tip="{_attr(tip)}" data-series="{_attr(series)}">'
        f"<title>{escape(tip)}</title></{tag}>"
    )


def _legend(chart: Chart) -> str:
    # Heatmap rows and calendar cells are labelled in place; a legend would only repeat them.
    if len(chart.series) < 2 or chart.kind in ("heatmap", "calendar"):
        return ""
    items = []
    x = _LEFT
    for i, s in enumerate(chart.series):
        items.append(
            f'<g class="legend-item" data-series="{_attr(s.name)}" tabindex="0" role="button" '
            f'aria-pressed="true" transform="translate({x},16)">'
            f'<rect width="12" height="12" y="-10" fill="{series_colour(s.name, i)}"/>'
            f'<text x="16">{escape(s.name)}</text></g>'
        )
        x += 24 + 8 * len(s.name)
    return "".join(items)


def _axes(maximum: float) -> str:
    plot_h = HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{WIDTH - _RIGHT}" '
        f'y2="{_TOP + plot_h}"/>'
    ]
    for i in range(5):
        value = maximum * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" '
            f'y2="{y:.1f}"/><text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_num(value)}</text>'
        )
    return "".join(parts)


def _x_labels(labels: list[str], step: float, x0: float) -> str:
    every = max(1, len(labels) // 24)
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = x0 + step * i + step / 2
        y = HEIGHT - _BOTTOM + 14
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{y}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {y})">{escape(label[:24])}</text>'
        )
    return "".join(parts)


def _bars(chart: Chart, stacked: bool) -> str:
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    n = len(chart.x)
    totals = [sum(s.values[i] for s in chart.series) for i in range(n)]
    per_series_max = max((v for s in chart.series for v in s.values), default=0.0)
    maximum = nice_max(max(totals, default=0.0) if stacked else per_series_max)
    step = plot_w / max(n, 1)
    parts = [_axes(maximum)]
    groups = 1 if stacked else len(chart.series)
    bar_w = step * 0.8 / groups
    for i, label in enumerate(chart.x):
        base = 0.0
        for k, s in enumerate(chart.series):
            value = s.values[i]
            h = plot_h * value / maximum
            x = _LEFT + step * i + step * 0.1 + (0 if stacked else k * bar_w)
            y = _TOP + plot_h - h - (plot_h * base / maximum if stacked else 0)
            tip = f"{label} - {s.name}: {_num(value)}"
            parts.append(
                _mark(
                    "rect",
                    f'x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                    f'height="{h:.1f}" fill="{series_colour(s.name, k)}"',
                    tip,
                    s.name,
                )
            )
            if stacked:
                base += value
    parts.append(_x_labels(chart.x, step, _LEFT))
    return "".join(parts)


def _lines(chart: Chart) -> str:
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    values = [v for s in chart.series for v in s.values]
    bottom, top = value_range(values)
    span = top - bottom
    n = len(chart.x)
    step = plot_w / max(n, 1)

    def y_of(v: float) -> float:
        return _TOP + plot_h - plot_h * (v - bottom) / span

    parts = []
    for i in range(5):
        v = bottom + span * i / 4
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y_of(v):.1f}" x2="{WIDTH - _RIGHT}" '
            f'y2="{y_of(v):.1f}"/><text class="tick" x="{_LEFT - 6}" '
            f'y="{y_of(v) + 4:.1f}" text-anchor="end">{_num(round(v, 3))}</text>'
        )
    for k, s in enumerate(chart.series):
        colour = series_colour(s.name, k)
        points = " ".join(
            f"{_LEFT + step * i + step / 2:.1f},{y_of(v):.1f}" for i, v in enumerate(s.values)
        )
        parts.append(
            f'<polyline class="line" data-series="{_attr(s.name)}" points="{points}" '
            f'fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for i, v in enumerate(s.values):
            tip = f"{chart.x[i]} - {s.name}: {_num(round(v, 3))}"
            parts.append(
                _mark(
                    "circle",
                    f'cx="{_LEFT + step * i + step / 2:.1f}" '
                    f'cy="{y_of(v):.1f}" r="4" fill="{colour}"',
                    tip,
                    s.name,
                )
            )
    parts.append(_x_labels(chart.x, step, _LEFT))
    return "".join(parts)


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
    return "".join(parts)


def _calendar_height(chart: Chart) -> int:
    days = [date.fromisoformat(d) for d in chart.x]
    weeks = (days[-1].toordinal() - days[0].toordinal() + days[0].weekday()) // 7 + 1
    return int(30 + 7 * min(14.0, (WIDTH - 60) / max(weeks, 1)) + 10)


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
    return "".join(parts)


def chart_svg(chart: Chart) -> str:
    """One chart as a standalone ``<svg>`` element (no external references)."""
    if chart.kind in ("bar", "histogram", "pie"):
        body = _bars(chart, stacked=False)
    elif chart.kind == "stacked_bar":
        body = _bars(chart, stacked=True)
    elif chart.kind == "line":
        body = _lines(chart)
    elif chart.kind == "heatmap":
        body = _heatmap(chart)
    else:
        body = _calendar(chart)
    height = _calendar_height(chart) if chart.kind == "calendar" else HEIGHT
    return (
        f'<svg class="chart" data-chart="{_attr(chart.id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{_attr(chart.title)}" xmlns="http://www.w3.org/2000/svg">'
        f"{body}{_legend(chart)}</svg>"
    )
