"""Chart geometry shared by the SVG and PDF drawings: one quantity per axis, labels that
never overlap, whole text kept where a label is shortened, one colour per category."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from convoscope_common.results import Chart, ChartSeries
from convoscope_exporter.charts.data import report_charts
from convoscope_exporter.charts.layout import (
    TICK_SIZE,
    Box,
    Label,
    approx_width,
    layout,
    nice_step,
    ticks,
)
from convoscope_exporter.charts.palette import series_colour


def _labels(plot, angle=None):
    return [s for s in plot.shapes if isinstance(s, Label) and (angle is None or s.angle == angle)]


def _months(n: int) -> list[str]:
    return [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def test_sentiment_mean_and_counts_never_share_an_axis(results, corpus):
    charts = report_charts(results, corpus)
    mean = charts["sentiment_over_time"]
    counts = charts["sentiment_labels_over_time"]
    assert [s.name for s in mean.series] == ["mean compound"]
    assert all(-1 <= v <= 1 for s in mean.series for v in s.values)
    assert mean.value_label.startswith("mean") and counts.value_label == "user messages"
    assert all(float(v).is_integer() for s in counts.series for v in s.values)
    for chart in charts.values():
        assert chart.value_label, chart.id  # every value axis says what it counts


def test_titles_say_what_is_counted_and_over_which_period(results, corpus):
    charts = report_charts(results, corpus)
    assert charts["sentiment_labels_over_time"].title.endswith("2024-01 to 2024-04")
    assert charts["calendar_heatmap"].title == "Messages per day, 2024-01-15 to 2024-04-05"


def test_count_axes_step_by_whole_numbers():
    chart = Chart(
        id="c", title="t", kind="histogram", x=["a", "b"],
        series=[ChartSeries(name="n", values=[3.0, 4.0])],
    )  # fmt: skip
    assert ticks(chart, stacked=False) == [0, 1, 2, 3, 4]
    assert nice_step(0.8, integer=True) == 1.0
    assert nice_step(0.3, integer=False) == 0.5


@pytest.mark.parametrize("months", [6, 24, 60, 120])
def test_time_labels_never_overlap(months):
    chart = Chart(
        id="t", title="t", kind="line", x=_months(months),
        series=[ChartSeries(name="m", values=[float(i % 7) for i in range(months)])],
    )  # fmt: skip
    plot = layout(chart, 500)
    flat = [label for label in _labels(plot, 0) if label.y > plot.height - 40]
    rotated = _labels(plot, 45)
    if rotated:
        # Parallel rotated baselines: distance between neighbours = dx * sin(45 deg).
        xs = sorted(label.x for label in rotated)
        gaps = [(b - a) * math.sin(math.radians(45)) for a, b in pairwise(xs)]
        assert min(gaps) >= TICK_SIZE * 1.3
    else:
        spans = sorted(
            (lb.x - approx_width(lb.text, lb.size) / 2, lb.x + approx_width(lb.text, lb.size) / 2)
            for lb in flat
        )
        assert all(a[1] <= b[0] for a, b in pairwise(spans))
        assert len(flat) >= months  # every month labelled when they fit


def test_long_topic_names_are_shortened_with_the_whole_text_kept():
    name = "A topic label far too long to fit in the space the chart gives it " * 2
    chart = Chart(
        id="topic_distribution", title="t", kind="bar", x=[name, "Short"],
        series=[ChartSeries(name="conversations", values=[3.0, 1.0])],
    )  # fmt: skip
    plot = layout(chart, 500)
    long_label = next(lb for lb in _labels(plot) if lb.full == name)
    assert long_label.text.endswith("…") and long_label.text[:-1].strip() in name
    assert approx_width(long_label.text, long_label.size) <= 500 * 0.38 + 1
    assert any(lb.text == "Short" and not lb.full for lb in _labels(plot))
    # Categorical bars run horizontally: no label is rotated.
    assert not any(lb.angle and lb.full for lb in _labels(plot))


def test_a_category_keeps_its_colour_in_every_chart():
    severities = Chart(
        id="f", title="t", kind="stacked_bar", x=["a"],
        series=[ChartSeries(name=s, values=[1.0]) for s in ("low", "high", "medium")],
    )  # fmt: skip
    fills = {b.series: b.fill for b in layout(severities, 500).shapes if isinstance(b, Box)}
    assert fills == {s: series_colour(s, 0) for s in ("low", "high", "medium")}
    assert len(set(fills.values())) == 3
