"""Tables read from the results alone: topics, sentiment, quality, temporal, privacy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from convoscope_common.aggregates.localtime import WEEKDAYS
from convoscope_common.results import (
    SEVERITIES,
    AnalysisResults,
    CalendarDay,
    ConversationQuality,
    Failure,
    LengthTrend,
    MessageSentiment,
    PrivacyFinding,
    SentimentPeriod,
    Topic,
)
from convoscope_exporter.tables.language_tables import languages_table
from convoscope_exporter.tables.model import Cell, Column, Table, table_of

# --- topics ---------------------------------------------------------------------------

TOPIC_COLUMNS: tuple[Column[Topic], ...] = (
    Column("topic_id", "string", "Topic id", lambda t: t.id),
    Column("label", "string", "Topic label", lambda t: t.label),
    Column("kind", "string", "taxonomy or learned", lambda t: t.kind),
    Column(
        "conversations", "integer", "Conversations assigned the topic", lambda t: t.conversations
    ),
    Column("share", "number", "Share of conversations, 0-1", lambda t: t.share),
    Column(
        "top_terms", "string", "Most characteristic terms, space-separated",
        lambda t: " ".join(t.top_terms),
    ),
    Column(
        "example_title", "string",
        "Learned topics: title of the conversation most about the topic (redacted)",
        lambda t: t.example_title,
    ),
)  # fmt: skip


def topics_table(results: AnalysisResults) -> Table:
    """One row per topic (taxonomy and learned)."""
    topics = [*results.topics.taxonomy, *results.topics.learned] if results.topics else []
    return table_of("topics", "One row per topic", TOPIC_COLUMNS, topics)


# (conversation id, topic id, topic or None, score, rank)
Assignment = tuple[str, str, Topic | None, float, int]

ASSIGNMENT_COLUMNS: tuple[Column[Assignment], ...] = (
    Column("conversation_id", "string", "Conversation id", lambda a: a[0]),
    Column("topic_id", "string", "Topic id", lambda a: a[1]),
    Column("topic_label", "string", "Topic label", lambda a: a[2].label if a[2] else ""),
    Column("topic_kind", "string", "taxonomy or learned", lambda a: a[2].kind if a[2] else ""),
    Column("score", "number", "Assignment score, 0-1", lambda a: a[3]),
    Column("rank", "integer", "1 = the conversation's strongest topic", lambda a: a[4]),
)


def conversation_topics_table(results: AnalysisResults) -> Table:
    """One row per (conversation, topic) assignment."""
    topics: dict[str, Topic] = {}
    if results.topics is not None:
        topics = {t.id: t for t in [*results.topics.taxonomy, *results.topics.learned]}
    records: list[Assignment] = []
    for a in results.topics.assignments if results.topics else []:
        ranked = sorted(a.topics, key=lambda s: -s.score)
        for rank, score in enumerate(ranked, start=1):
            records.append(
                (a.conversation_id, score.topic_id, topics.get(score.topic_id), score.score, rank)
            )
    return table_of(
        "conversation_topics", "One row per (conversation, topic) assignment",
        ASSIGNMENT_COLUMNS, records,
    )  # fmt: skip


# --- sentiment --------------------------------------------------------------------------

SENTIMENT_COLUMNS: tuple[Column[MessageSentiment], ...] = (
    Column("conversation_id", "string", "Conversation id", lambda s: s.conversation_id),
    Column("message_id", "string", "Message id", lambda s: s.message_id),
    Column("compound", "number", "VADER compound score, -1..1", lambda s: s.compound),
    Column("label", "string", "Sentiment label", lambda s: s.label),
    Column("urgent", "boolean", "Message reads as urgent", lambda s: s.urgent),
    Column("questioning", "boolean", "Message asks a question", lambda s: s.questioning),
    Column("collaborative", "boolean", "Message reads as collaborative", lambda s: s.collaborative),
)


def sentiment_table(results: AnalysisResults) -> Table:
    """One row per scored (user) message."""
    scores = results.sentiment.by_message if results.sentiment else []
    return table_of("sentiment", "One row per scored user message", SENTIMENT_COLUMNS, scores)


SENTIMENT_MONTHLY_COLUMNS: tuple[Column[SentimentPeriod], ...] = (
    Column("month", "string", "Month, YYYY-MM", lambda p: p.period),
    Column("mean_compound", "number", "Mean compound score", lambda p: p.mean_compound),
    Column("messages", "integer", "Scored messages", lambda p: p.messages),
)


def sentiment_monthly_table(results: AnalysisResults) -> Table:
    """One row per month of user-message sentiment."""
    periods = results.sentiment.monthly if results.sentiment else []
    return table_of(
        "sentiment_monthly", "One row per month: mean sentiment of user messages",
        SENTIMENT_MONTHLY_COLUMNS, periods,
    )  # fmt: skip


# --- quality and failures ----------------------------------------------------------------

FAILURE_COLUMNS: tuple[Column[Failure], ...] = (
    Column("failure_id", "string", "Failure id", lambda f: f.id),
    Column("conversation_id", "string", "Conversation id", lambda f: f.conversation_id),
    Column(
        "message_id", "string", "Assistant message the failure is attributed to",
        lambda f: f.message_id,
    ),
    Column("type", "string", "Failure type", lambda f: f.type),
    Column("severity", "string", "high, medium or low", lambda f: f.severity),
    Column(
        "evidence", "string", "user_complaint, refusal, tool_error or regeneration",
        lambda f: f.evidence,
    ),
    Column(
        "evidence_message_ids", "string", "Messages showing the evidence, space-separated",
        lambda f: " ".join(f.evidence_message_ids),
    ),
    Column(
        "matched", "string", "Phrase or signal that matched (redacted text)", lambda f: f.matched
    ),
)  # fmt: skip


def failures_table(results: AnalysisResults) -> Table:
    """One row per detected failure."""
    findings = results.quality.failures.findings if results.quality else []
    return table_of("failures", "One row per detected assistant failure", FAILURE_COLUMNS, findings)


# (failure type, severity, count)
TypeCount = tuple[str, str, int]

FAILURE_TYPE_COLUMNS: tuple[Column[TypeCount], ...] = (
    Column("type", "string", "Failure type", lambda r: r[0]),
    Column("severity", "string", "high, medium or low", lambda r: r[1]),
    Column("failures", "integer", "Detected failures", lambda r: r[2]),
)


def failure_types_table(results: AnalysisResults) -> Table:
    """One row per (failure type, severity) with its count."""
    grid = results.quality.failures.by_type_and_severity if results.quality else {}
    records = [
        (ftype, severity, grid[ftype][severity])
        for ftype in sorted(grid)
        for severity in SEVERITIES
        if grid[ftype].get(severity)
    ]
    return table_of(
        "failure_types", "One row per (failure type, severity)", FAILURE_TYPE_COLUMNS, records
    )


def _quality(name: str, kind: str, description: str) -> Column[ConversationQuality]:
    """A column holding the ConversationQuality field of the same name."""

    def get(q: ConversationQuality) -> Cell:
        value: Cell = getattr(q, name)
        return value

    return Column(name, kind, description, get)  # type: ignore[arg-type]


QUALITY_COLUMNS: tuple[Column[ConversationQuality], ...] = (
    _quality("conversation_id", "string", "Conversation id"),
    _quality("task_completion", "string", "completed, in_progress, abandoned or blocked"),
    _quality("completion_confidence", "number", "Confidence of the completion call, 0-1"),
    _quality("collaboration_score", "number", "Collaboration score, 0-1"),
    _quality("turns", "integer", "User/assistant turns"),
    _quality("user_questions", "integer", "User messages asking a question"),
    _quality("code_blocks", "integer", "Code blocks"),
    _quality("clarification_requests", "integer", "Assistant clarification requests"),
    _quality("interruptions", "integer", "User interruptions"),
    _quality("monologues", "integer", "Runs of one role without reply"),
    _quality("quick_responses", "integer", "Quick user replies"),
    _quality("long_gaps", "integer", "Long pauses"),
    _quality("response_effectiveness", "number", "Response effectiveness, 0-1 (blank: unknown)"),
    _quality("failures", "integer", "Detected failures"),
)


def quality_table(results: AnalysisResults) -> Table:
    """One row per conversation's quality metrics."""
    convs = results.quality.conversations if results.quality else []
    return table_of("quality", "One row per conversation: quality metrics", QUALITY_COLUMNS, convs)


# --- temporal ---------------------------------------------------------------------------

CALENDAR_COLUMNS: tuple[Column[CalendarDay], ...] = (
    Column("date", "date", "Day", lambda d: date.fromisoformat(d.date)),
    Column("messages", "integer", "Messages that day", lambda d: d.messages),
    Column("conversations", "integer", "Conversations active that day", lambda d: d.conversations),
)


def temporal_table(results: AnalysisResults) -> Table:
    """One row per active day (the calendar)."""
    days = results.temporal.calendar if results.temporal else []
    return table_of("temporal", "One row per active day, analysis timezone", CALENDAR_COLUMNS, days)


# (month, messages, mean sentiment or None)
Month = tuple[str, int, float | None]

MONTHLY_COLUMNS: tuple[Column[Month], ...] = (
    Column("month", "string", "Month, YYYY-MM", lambda m: m[0]),
    Column("messages", "integer", "Messages that month", lambda m: m[1]),
    Column("mean_sentiment", "number", "Mean compound score of user messages", lambda m: m[2]),
)


def monthly_activity_table(results: AnalysisResults) -> Table:
    """One row per month: messages, mean sentiment."""
    monthly = results.temporal.monthly if results.temporal else {}
    evolution = results.temporal.sentiment_evolution if results.temporal else {}
    records = [(m, n, evolution.get(m)) for m, n in sorted(monthly.items())]
    return table_of("monthly_activity", "One row per month", MONTHLY_COLUMNS, records)


# (weekday, hour, messages)
Slot = tuple[str, int, int]

HEATMAP_COLUMNS: tuple[Column[Slot], ...] = (
    Column("weekday", "string", "Day of the week", lambda s: s[0]),
    Column("hour", "integer", "Hour of day, 0-23, analysis timezone", lambda s: s[1]),
    Column("messages", "integer", "Messages", lambda s: s[2]),
)


def heatmap_table(results: AnalysisResults) -> Table:
    """One row per (weekday, hour): 168 rows, zeros included."""
    grid = results.temporal.heatmap if results.temporal else []
    records = [
        (WEEKDAYS[day], hour, grid[day][hour] if day < len(grid) and hour < len(grid[day]) else 0)
        for day in range(7)
        for hour in range(24)
    ]
    return table_of(
        "activity_heatmap", "One row per (weekday, hour of day): messages",
        HEATMAP_COLUMNS, records,
    )  # fmt: skip


LENGTH_TREND_COLUMNS: tuple[Column[LengthTrend], ...] = (
    Column("month", "string", "Month, YYYY-MM", lambda t: t.period),
    Column("role", "string", "user or assistant", lambda t: t.role),
    Column("mean_words", "number", "Mean words per message", lambda t: t.mean_words),
    Column("messages", "integer", "Messages", lambda t: t.messages),
)


def length_trends_table(results: AnalysisResults) -> Table:
    """One row per (month, role): mean message length."""
    trends = results.temporal.length_trends if results.temporal else []
    return table_of(
        "length_trends", "One row per (month, role): mean words per message",
        LENGTH_TREND_COLUMNS, trends,
    )  # fmt: skip


# --- privacy ----------------------------------------------------------------------------

# (entity type, findings, operator, best effort)
EntityCount = tuple[str, int, str, bool]

PRIVACY_COLUMNS: tuple[Column[EntityCount], ...] = (
    Column("entity_type", "string", "PII entity type", lambda e: e[0]),
    Column("findings", "integer", "Findings", lambda e: e[1]),
    Column("operator", "string", "How it was redacted", lambda e: e[2]),
    Column("best_effort", "boolean", "Detected heuristically (e.g. person names)", lambda e: e[3]),
)


def privacy_table(results: AnalysisResults) -> Table:
    """One row per PII entity type."""
    privacy = results.privacy
    counts = privacy.counts if privacy else {}
    best_effort = set(privacy.best_effort_types) if privacy else set()
    records = [
        (t, n, privacy.operators.get(t, "") if privacy else "", t in best_effort)
        for t, n in sorted(counts.items())
    ]
    return table_of(
        "privacy", "One row per PII entity type (values are never stored)",
        PRIVACY_COLUMNS, records,
    )  # fmt: skip


PRIVACY_FINDING_COLUMNS: tuple[Column[PrivacyFinding], ...] = (
    Column("conversation_id", "string", "Conversation id", lambda f: f.conversation_id),
    Column("message_id", "string", "Message id", lambda f: f.message_id),
    Column("entity_type", "string", "PII entity type", lambda f: f.entity_type),
    Column("field", "string", "text, attachment, thinking, tool or title", lambda f: f.field),
)


def privacy_findings_table(results: AnalysisResults) -> Table:
    """One row per PII finding (where, never what)."""
    findings = results.privacy.findings if results.privacy else []
    return table_of(
        "privacy_findings", "One row per PII finding: location and type only",
        PRIVACY_FINDING_COLUMNS, findings,
    )  # fmt: skip


RESULT_TABLES: tuple[Callable[[AnalysisResults], Table], ...] = (
    topics_table,
    conversation_topics_table,
    sentiment_table,
    sentiment_monthly_table,
    languages_table,
    failures_table,
    failure_types_table,
    quality_table,
    temporal_table,
    monthly_activity_table,
    heatmap_table,
    length_trends_table,
    privacy_table,
    privacy_findings_table,
)
