"""Chart-ready data for the report charts.

A chart precomputed by the engine (``results.charts``, matched by id) wins;
otherwise it is derived from the result sections (and, for conversation length,
from the corpus). Charts whose data is empty are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from convoscope_common.aggregates.localtime import WEEKDAYS
from convoscope_common.corpus import Corpus
from convoscope_common.results import (
    SENTIMENT_LABELS,
    SEVERITIES,
    AnalysisResults,
    Chart,
    ChartSeries,
)

TOPIC_DISTRIBUTION = "topic_distribution"
SENTIMENT_OVER_TIME = "sentiment_over_time"
SENTIMENT_LABELS_OVER_TIME = "sentiment_labels_over_time"
FAILURES_BY_SEVERITY = "failures_by_severity"
WEEKDAY_HOUR_HEATMAP = "weekday_hour_heatmap"
CALENDAR_HEATMAP = "calendar_heatmap"
CONVERSATION_LENGTH = "conversation_length_distribution"
MESSAGE_LENGTH_OVER_TIME = "message_length_over_time"

# Messages-per-conversation histogram bins: (label, low, high inclusive; None = open).
LENGTH_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-2", 1, 2),
    ("3-5", 3, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-50", 21, 50),
    ("51-100", 51, 100),
    ("101+", 101, None),
)


def period(labels: list[str]) -> str:
    """ ", 2024-01 to 2024-06" for a time axis (what the title says the chart covers)."""
    if not labels:
        return ""
    return f", {labels[0]}" if labels[0] == labels[-1] else f", {labels[0]} to {labels[-1]}"


def topic_distribution(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Conversations per topic, most frequent first."""
    if results.topics is None:
        return None
    topics = sorted(
        [*results.topics.taxonomy, *results.topics.learned], key=lambda t: (-t.conversations, t.id)
    )
    topics = [t for t in topics if t.conversations > 0]
    if not topics:
        return None
    return Chart(
        id=TOPIC_DISTRIBUTION,
        title="Conversations per topic",
        kind="bar",
        x=[t.label for t in topics],
        series=[ChartSeries(name="conversations", values=[float(t.conversations) for t in topics])],
        value_label="conversations",
    )


def sentiment_over_time(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Mean compound score of user messages per month."""
    if results.sentiment is None or not results.sentiment.monthly:
        return None
    periods = results.sentiment.monthly
    months = [p.period for p in periods]
    return Chart(
        id=SENTIMENT_OVER_TIME,
        title=f"Mean sentiment of user messages per month{period(months)}",
        kind="line",
        x=months,
        series=[ChartSeries(name="mean compound", values=[p.mean_compound for p in periods])],
        value_label="mean VADER compound (-1 to 1)",
    )


def sentiment_labels_over_time(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """User messages per sentiment label per month (counts; the mean has its own chart)."""
    if results.sentiment is None or not results.sentiment.monthly:
        return None
    periods = results.sentiment.monthly
    months = [p.period for p in periods]
    return Chart(
        id=SENTIMENT_LABELS_OVER_TIME,
        title=f"User messages per sentiment label per month{period(months)}",
        kind="stacked_bar",
        x=months,
        series=[
            ChartSeries(name=label, values=[float(p.labels.get(label, 0)) for p in periods])
            for label in SENTIMENT_LABELS
        ],
        value_label="user messages",
    )


def failures_by_severity(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Failures per type, stacked by severity."""
    if results.quality is None or not results.quality.failures.by_type_and_severity:
        return None
    grid = results.quality.failures.by_type_and_severity
    types = sorted(grid, key=lambda t: (-sum(grid[t].values()), t))
    return Chart(
        id=FAILURES_BY_SEVERITY,
        title="Assistant failures per type, by severity",
        kind="stacked_bar",
        x=types,
        series=[
            ChartSeries(name=s, values=[float(grid[t].get(s, 0)) for t in types])
            for s in SEVERITIES
        ],
        value_label="failures",
    )


def weekday_hour_heatmap(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Messages per weekday x hour, always 7 x 24 (missing weekdays or hours are zeros)."""
    if results.temporal is None:
        return None
    grid = results.temporal.heatmap
    series = []
    for day in range(7):
        row = grid[day] if day < len(grid) else []
        series.append(
            ChartSeries(
                name=WEEKDAYS[day],
                values=[float(row[h]) if h < len(row) else 0.0 for h in range(24)],
            )
        )
    if not any(v for s in series for v in s.values):
        return None
    return Chart(
        id=WEEKDAY_HOUR_HEATMAP,
        title=f"Messages per weekday and hour ({results.temporal.timezone})",
        kind="heatmap",
        x=[f"{h:02d}" for h in range(24)],
        y=list(WEEKDAYS),
        series=series,
        value_label="messages",
    )


def calendar_heatmap(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Messages per day over every day from the first to the last active day."""
    if results.temporal is None or not results.temporal.calendar:
        return None
    per_day = {d.date: d.messages for d in results.temporal.calendar}
    first = date.fromisoformat(min(per_day))
    last = date.fromisoformat(max(per_day))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return Chart(
        id=CALENDAR_HEATMAP,
        title=f"Messages per day{period([days[0].isoformat(), days[-1].isoformat()])}",
        kind="calendar",
        x=[d.isoformat() for d in days],
        series=[
            ChartSeries(
                name="messages", values=[float(per_day.get(d.isoformat(), 0)) for d in days]
            )
        ],
        value_label="messages",
    )


def conversation_length(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Histogram of messages per conversation."""
    if not corpus.conversations:
        return None
    counts = [0] * len(LENGTH_BINS)
    for conv in corpus.conversations:
        n = len(conv.messages)
        for index, (_label, low, high) in enumerate(LENGTH_BINS):
            if n >= low and (high is None or n <= high):
                counts[index] += 1
                break
    # Trim empty bins at the top end so small corpora do not get a long empty tail.
    last = max(i for i, c in enumerate(counts) if c) + 1
    return Chart(
        id=CONVERSATION_LENGTH,
        title="Conversations by length (messages per conversation)",
        kind="histogram",
        x=[b[0] for b in LENGTH_BINS[:last]],
        series=[ChartSeries(name="conversations", values=[float(c) for c in counts[:last]])],
        value_label="conversations",
    )


def message_length_over_time(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Mean words per message per month, one line per role."""
    if results.temporal is None or not results.temporal.length_trends:
        return None
    trends = results.temporal.length_trends
    months = sorted({t.period for t in trends})
    roles = sorted({t.role for t in trends})
    by_key = {(t.period, t.role): t.mean_words for t in trends}
    return Chart(
        id=MESSAGE_LENGTH_OVER_TIME,
        title=f"Mean words per message per month, by role{period(months)}",
        kind="line",
        x=months,
        series=[
            ChartSeries(name=r, values=[by_key.get((m, r), 0.0) for m in months]) for r in roles
        ],
        value_label="mean words per message",
    )


_DERIVERS: tuple[tuple[str, Callable[[AnalysisResults, Corpus], Chart | None]], ...] = (
    (TOPIC_DISTRIBUTION, topic_distribution),
    (SENTIMENT_OVER_TIME, sentiment_over_time),
    (SENTIMENT_LABELS_OVER_TIME, sentiment_labels_over_time),
    (FAILURES_BY_SEVERITY, failures_by_severity),
    (WEEKDAY_HOUR_HEATMAP, weekday_hour_heatmap),
    (CALENDAR_HEATMAP, calendar_heatmap),
    (CONVERSATION_LENGTH, conversation_length),
    (MESSAGE_LENGTH_OVER_TIME, message_length_over_time),
)


def _usable(chart: Chart) -> bool:
    return (
        bool(chart.x)
        and bool(chart.series)
        and all(len(s.values) == len(chart.x) for s in chart.series)
    )


def report_charts(results: AnalysisResults, corpus: Corpus) -> dict[str, Chart]:
    """The report's charts by id, in display order: the engine's when given, else derived."""
    given = {c.id: c for c in results.charts if _usable(c)}
    charts: dict[str, Chart] = {}
    for chart_id, derive in _DERIVERS:
        chart = given.get(chart_id) or derive(results, corpus)
        if chart is not None:
            charts[chart_id] = chart
    return charts
