"""Chart-ready data built from the results (no drawing here; renderers draw)."""

from __future__ import annotations

from convoscope_common.aggregates.localtime import WEEKDAYS
from convoscope_common.results import (
    FAILURE_TYPES,
    SENTIMENT_LABELS,
    SEVERITIES,
    Chart,
    ChartSeries,
    Quality,
    Sentiment,
    Summary,
    Temporal,
    Topics,
)

# Conversation-length histogram bins (messages per conversation), upper bounds inclusive.
LENGTH_BINS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0),
    ("1-2", 1, 2),
    ("3-4", 3, 4),
    ("5-8", 5, 8),
    ("9-16", 9, 16),
    ("17-32", 17, 32),
    ("33-64", 33, 64),
    ("65+", 65, 10**9),
)


def topic_distribution(topics: Topics) -> Chart:
    """Conversations per topic (taxonomy topics with data, then learned topics)."""
    rows = [t for t in topics.taxonomy if t.conversations] + topics.learned
    return Chart(
        id="topic_distribution",
        title="Topic distribution",
        kind="bar",
        x=[t.label for t in rows],
        series=[ChartSeries(name="conversations", values=[float(t.conversations) for t in rows])],
    )


def sentiment_over_time(sentiment: Sentiment) -> Chart:
    """Mean compound per month plus message counts per label."""
    months = [p.period for p in sentiment.monthly]
    series = [
        ChartSeries(name="mean_compound", values=[p.mean_compound for p in sentiment.monthly])
    ]
    series += [
        ChartSeries(name=label, values=[float(p.labels.get(label, 0)) for p in sentiment.monthly])
        for label in SENTIMENT_LABELS
    ]
    return Chart(
        id="sentiment_over_time", title="Sentiment over time", kind="line", x=months, series=series
    )


def failures_by_severity(quality: Quality) -> Chart:
    """Failure counts per type, stacked by severity."""
    matrix = quality.failures.by_type_and_severity
    return Chart(
        id="failure_types_by_severity",
        title="Assistant failures by type and severity",
        kind="stacked_bar",
        x=list(FAILURE_TYPES),
        series=[
            ChartSeries(name=s, values=[float(matrix.get(t, {}).get(s, 0)) for t in FAILURE_TYPES])
            for s in SEVERITIES
        ],
    )


def weekday_hour_heatmap(temporal: Temporal) -> Chart:
    """Messages per weekday (rows, Monday first) and hour (columns)."""
    return Chart(
        id="weekday_hour_heatmap",
        title=f"Activity by weekday and hour ({temporal.timezone})",
        kind="heatmap",
        x=[f"{h:02d}" for h in range(24)],
        y=list(WEEKDAYS),
        series=[
            ChartSeries(name=WEEKDAYS[d], values=[float(v) for v in temporal.heatmap[d]])
            for d in range(7)
        ],
    )


def calendar_heatmap(temporal: Temporal) -> Chart:
    """Messages and conversations per active day."""
    return Chart(
        id="calendar_heatmap",
        title="Activity calendar",
        kind="calendar",
        x=[d.date for d in temporal.calendar],
        series=[
            ChartSeries(name="messages", values=[float(d.messages) for d in temporal.calendar]),
            ChartSeries(
                name="conversations", values=[float(d.conversations) for d in temporal.calendar]
            ),
        ],
    )


def conversation_lengths(lengths: list[int]) -> Chart:
    """Histogram of messages per conversation."""
    counts = [sum(1 for n in lengths if lo <= n <= hi) for _, lo, hi in LENGTH_BINS]
    return Chart(
        id="conversation_length_distribution",
        title="Conversation length (messages)",
        kind="histogram",
        x=[name for name, _, _ in LENGTH_BINS],
        series=[ChartSeries(name="conversations", values=[float(c) for c in counts])],
    )


def message_length_over_time(temporal: Temporal) -> Chart:
    """Mean words per message per month, one line per role (0 where a role is silent)."""
    months = sorted({t.period for t in temporal.length_trends})
    roles = sorted({t.role for t in temporal.length_trends})
    lookup = {(t.period, t.role): t.mean_words for t in temporal.length_trends}
    return Chart(
        id="message_length_over_time",
        title="Message length over time by role",
        kind="line",
        x=months,
        series=[
            ChartSeries(name=role, values=[lookup.get((m, role), 0.0) for m in months])
            for role in roles
        ],
    )


def build_charts(
    summary: Summary,
    lengths: list[int],
    topics: Topics | None,
    sentiment: Sentiment | None,
    quality: Quality | None,
    temporal: Temporal | None,
) -> list[Chart]:
    """Every chart whose source analysis ran."""
    charts: list[Chart] = []
    if topics is not None:
        charts.append(topic_distribution(topics))
    if sentiment is not None:
        charts.append(sentiment_over_time(sentiment))
    if quality is not None:
        charts.append(failures_by_severity(quality))
    if temporal is not None:
        charts.append(weekday_hour_heatmap(temporal))
        charts.append(calendar_heatmap(temporal))
    if summary.conversations:
        charts.append(conversation_lengths(lengths))
    if temporal is not None:
        charts.append(message_length_over_time(temporal))
    return charts
