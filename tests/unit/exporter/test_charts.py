"""Chart data derivation and both drawings (SVG, reportlab)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import msgspec
from reportlab.graphics import renderPDF

from convoscope_common.results import Chart, ChartSeries
from convoscope_exporter.charts.data import report_charts
from convoscope_exporter.charts.palette import nice_max, scale_colour, value_range
from convoscope_exporter.charts.reportlab_charts import chart_drawing
from convoscope_exporter.charts.svg import chart_svg

SVG = "{http://www.w3.org/2000/svg}"
ALL_CHARTS = [
    "topic_distribution",
    "sentiment_over_time",
    "sentiment_labels_over_time",
    "failures_by_severity",
    "weekday_hour_heatmap",
    "calendar_heatmap",
    "conversation_length_distribution",
    "message_length_over_time",
]


def test_every_chart_is_derived_from_the_sections(results, corpus):
    charts = report_charts(results, corpus)
    assert list(charts) == ALL_CHARTS


def test_heatmap_is_seven_by_twentyfour_even_with_missing_rows(results, corpus):
    results.temporal.heatmap = results.temporal.heatmap[:2]  # only Monday and Tuesday given
    chart = report_charts(results, corpus)["weekday_hour_heatmap"]
    assert chart.series[0].name == "Monday" and len(chart.series) == 7
    assert all(len(s.values) == 24 for s in chart.series)
    assert chart.series[6].values == [0.0] * 24
    assert chart.series[1].values[9] == 6.0


def test_calendar_spans_every_day_between_first_and_last(results, corpus):
    chart = report_charts(results, corpus)["calendar_heatmap"]
    first, last = date(2024, 1, 15), date(2024, 4, 5)
    assert len(chart.x) == (last - first).days + 1
    assert sum(chart.series[0].values) == results.summary.messages
    assert chart.series[0].values[chart.x.index("2024-02-20")] == 6.0
    assert chart.series[0].values[chart.x.index("2024-02-21")] == 0.0


def test_conversation_length_histogram_counts_every_conversation(results, corpus):
    chart = report_charts(results, corpus)["conversation_length_distribution"]
    assert dict(zip(chart.x, chart.series[0].values, strict=True)) == {
        "0": 1.0,
        "1-2": 2.0,
        "3-5": 2.0,
        "6-10": 1.0,
    }


def test_failures_stacked_by_severity(results, corpus):
    chart = report_charts(results, corpus)["failures_by_severity"]
    assert [s.name for s in chart.series] == ["high", "medium", "low"]
    totals = [sum(s.values[i] for s in chart.series) for i in range(len(chart.x))]
    assert sum(totals) == results.quality.failures.total


def test_engine_chart_wins_over_derived(results, corpus):
    given = Chart(
        id="topic_distribution",
        title="Engine topics",
        kind="bar",
        x=["a", "b"],
        series=[ChartSeries(name="n", values=[3.0, 1.0])],
    )
    broken = Chart(
        id="sentiment_over_time",
        title="Broken",
        kind="line",
        x=["a"],
        series=[ChartSeries(name="n", values=[1.0, 2.0])],
    )
    results.charts = [given, broken]
    charts = report_charts(results, corpus)
    assert charts["topic_distribution"].title == "Engine topics"
    assert charts["sentiment_over_time"].title != "Broken"  # malformed: derived instead


def test_sections_missing_means_charts_missing(results, corpus):
    bare = msgspec.structs.replace(
        results, topics=None, sentiment=None, quality=None, temporal=None
    )
    assert list(report_charts(bare, corpus)) == ["conversation_length_distribution"]


def test_svg_is_well_formed_with_one_tooltip_per_value(results, corpus):
    for chart in report_charts(results, corpus).values():
        root = ET.fromstring(chart_svg(chart))
        marks = [e for e in root.iter() if e.get("data-tip")]
        assert len(marks) == sum(len(s.values) for s in chart.series), chart.id
        assert all(e.find(f"{SVG}title") is not None for e in marks)


def test_svg_legend_only_for_multi_series_charts(results, corpus):
    charts = report_charts(results, corpus)
    assert "legend-item" in chart_svg(charts["failures_by_severity"])
    assert "legend-item" not in chart_svg(charts["topic_distribution"])
    assert "legend-item" not in chart_svg(charts["weekday_hour_heatmap"])


def test_reportlab_drawings_render(results, corpus):
    for chart in report_charts(results, corpus).values():
        pdf = renderPDF.drawToString(chart_drawing(chart))
        assert pdf.startswith(b"%PDF"), chart.id


def test_palette_helpers():
    assert nice_max(0) == 1.0
    assert nice_max(3) == 5.0
    assert nice_max(0.3) == 0.5
    assert nice_max(1234) == 2000.0
    assert scale_colour(0, 10) != scale_colour(10, 10)
    assert scale_colour(5, 0) == scale_colour(0, 10)


def test_line_axis_is_symmetric_when_values_go_negative():
    assert value_range([0.1, 0.3]) == (0.0, 0.5)
    assert value_range([-0.05, 0.27]) == (-0.5, 0.5)
    assert value_range([-0.8, 0.1]) == (-1.0, 1.0)
    assert value_range([]) == (0.0, 1.0)
