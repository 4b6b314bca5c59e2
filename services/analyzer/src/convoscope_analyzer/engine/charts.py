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


def _period(labels: list[str]) -> str:
    """ " 2024-01 to 2024-06" for a time axis, "" when it is empty."""
    if not labels:
        return ""
    return f", {labels[0]}" if labels[0] == labels[-1] else f", {labels[0]} to {labels[-1]}"


def topic_distribution(topics: Topics) -> Chart:
    """Conversations per topic (taxonomy topics with data, then learned topics)."""
    rows = [t for t in topics.taxonomy if t.conversations] + topics.learned
    return Chart(
        id="topic_distribution",
        title="Conversations per topic",
        kind="bar",
        x=[t.label for t in rows],
        series=[ChartSeries(name="conversations", values=[float(t.conversations) for t in rows])],
        value_label="conversations",
    )


def sentiment_over_time(sentiment: Sentiment) -> Chart:
    """Mean compound score of user messages per month (one quantity: −1 to 1)."""
    months = [p.period for p in sentiment.monthly]
    return Chart(
        id="sentiment_over_time",
        title=f"Mean sentiment of user messages per month{_period(months)}",
        kind="line",
        x=months,
        series=[
            ChartSeries(name="mean compound", values=[p.mean_compound for p in sentiment.monthly])
        ],
        value_label="mean VADER compound (-1 to 1)",
    )


def sentiment_labels_over_time(sentiment: Sentiment) -> Chart:
    """User messages per sentiment label per month (counts, stacked), apart from the mean:
    counts and a mean never share an axis."""
    months = [p.period for p in sentiment.monthly]
    return Chart(
        id="sentiment_labels_over_time",
        title=f"User messages per sentiment label per month{_period(months)}",
        kind="stacked_bar",
        x=months,
        series=[
            ChartSeries(
                name=label, values=[float(p.labels.get(label, 0)) for p in sentiment.monthly]
            )
            for label in SENTIMENT_LABELS
        ],
        value_label="user messages",
    )


def failures_by_severity(quality: Quality) -> Chart:
    """Failure counts per type, stacked by severity."""
    matrix = quality.failures.by_type_and_severity
    return Chart(
        id="failure_types_by_severity",
        title="Assistant failures per type, by severity",
        kind="stacked_bar",
        x=list(FAILURE_TYPES),
        series=[
            ChartSeries(name=s, values=[float(matrix.get(t, {}).get(s, 0)) for t in FAILURE_TYPES])
            for s in SEVERITIES
        ],
        value_label="failures",
    )


def weekday_hour_heatmap(temporal: Temporal) -> Chart:
    """Messages per weekday (rows, Monday first) and hour (columns)."""
    return Chart(
        id="weekday_hour_heatmap",
        title=f"Messages per weekday and hour ({temporal.timezone})",
        kind="heatmap",
        x=[f"{h:02d}" for h in range(24)],
        y=list(WEEKDAYS),
        series=[
            ChartSeries(name=WEEKDAYS[d], values=[float(v) for v in temporal.heatmap[d]])
            for d in range(7)
        ],
        value_label="messages",
    )


def calendar_heatmap(temporal: Temporal) -> Chart:
    """Messages and conversations per active day."""
    return Chart(
        id="calendar_heatmap",
        title=f"Messages per day{_period([d.date for d in temporal.calendar])}",
        kind="calendar",
        x=[d.date for d in temporal.calendar],
        series=[
            ChartSeries(name="messages", values=[float(d.messages) for d in temporal.calendar]),
            ChartSeries(
                name="conversations", values=[float(d.conversations) for d in temporal.calendar]
            ),
        ],
        value_label="messages",
    )


def conversation_lengths(lengths: list[int]) -> Chart:
    """Histogram of messages per conversation."""
    counts = [sum(1 for n in lengths if lo <= n <= hi) for _, lo, hi in LENGTH_BINS]
    return Chart(
        id="conversation_length_distribution",
        title="Conversations by length (messages per conversation)",
        kind="histogram",
        x=[name for name, _, _ in LENGTH_BINS],
        series=[ChartSeries(name="conversations", values=[float(c) for c in counts])],
        value_label="conversations",
    )


def message_length_over_time(temporal: Temporal) -> Chart:
    """Mean words per message per month, one line per role (0 where a role is silent)."""
    months = sorted({t.period for t in temporal.length_trends})
    roles = sorted({t.role for t in temporal.length_trends})
    lookup = {(t.period, t.role): t.mean_words for t in temporal.length_trends}
    return Chart(
        id="message_length_over_time",
        title=f"Mean words per message per month, by role{_period(months)}",
        kind="line",
        x=months,
        series=[
            ChartSeries(name=role, values=[lookup.get((m, role), 0.0) for m in months])
            for role in roles
        ],
        value_label="mean words per message",
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
        charts.append(sentiment_labels_over_time(sentiment))
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
