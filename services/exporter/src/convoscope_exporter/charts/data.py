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
from convoscope_common.results import SEVERITIES, AnalysisResults, Chart, ChartSeries

TOPIC_DISTRIBUTION = "topic_distribution"
SENTIMENT_OVER_TIME = "sentiment_over_time"
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
        title="Topic distribution (conversations)",
        kind="bar",
        x=[t.label for t in topics],
        series=[ChartSeries(name="conversations", values=[float(t.conversations) for t in topics])],
    )


def sentiment_over_time(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Mean compound score of user messages per month."""
    if results.sentiment is None or not results.sentiment.monthly:
        return None
    periods = results.sentiment.monthly
    return Chart(
        id=SENTIMENT_OVER_TIME,
        title="Sentiment over time (mean compound)",
        kind="line",
        x=[p.period for p in periods],
        series=[ChartSeries(name="mean compound", values=[p.mean_compound for p in periods])],
    )


def failures_by_severity(results: AnalysisResults, corpus: Corpus) -> Chart | None:
    """Failures per type, stacked by severity."""
    if results.quality is None or not results.quality.failures.by_type_and_severity:
        return None
    grid = results.quality.failures.by_type_and_severity
    types = sorted(grid, key=lambda t: (-sum(grid[t].values()), t))
    return Chart(
        id=FAILURES_BY_SEVERITY,
        title="Failure types by severity",
        kind="stacked_bar",
        x=types,
        series=[
            ChartSeries(name=s, values=[float(grid[t].get(s, 0)) for t in types])
            for s in SEVERITIES
        ],
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
        title="Activity by weekday and hour",
        kind="heatmap",
        x=[f"{h:02d}" for h in range(24)],
        y=list(WEEKDAYS),
        series=series,
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
        title="Daily activity (messages)",
        kind="calendar",
        x=[d.isoformat() for d in days],
        series=[
            ChartSeries(
                name="messages", values=[float(per_day.get(d.isoformat(), 0)) for d in days]
            )
        ],
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
        title="Conversation length (messages)",
        kind="histogram",
        x=[b[0] for b in LENGTH_BINS[:last]],
        series=[ChartSeries(name="conversations", values=[float(c) for c in counts[:last]])],
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
        title="Message length over time (mean words)",
        kind="line",
        x=months,
        series=[
            ChartSeries(name=r, values=[by_key.get((m, r), 0.0) for m in months]) for r in roles
        ],
    )


_DERIVERS: tuple[tuple[str, Callable[[AnalysisResults, Corpus], Chart | None]], ...] = (
    (TOPIC_DISTRIBUTION, topic_distribution),
    (SENTIMENT_OVER_TIME, sentiment_over_time),
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
