"""Tidy tables built from results + corpus: the shared model behind CSV and XLSX.

One row per observation (message, conversation, conversation x topic, failure...),
one column per variable, typed so each writer can store real numbers and dates.
Timestamps are converted to the analysis timezone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Literal

import msgspec

from convoscope_common.aggregates.localtime import WEEKDAYS, to_local, zone_or_utc
from convoscope_common.aggregates.prepared import word_count
from convoscope_common.corpus import Corpus
from convoscope_common.results import SEVERITIES, AnalysisResults

ColumnKind = Literal["string", "integer", "number", "datetime", "date", "boolean"]
Cell = str | int | float | bool | datetime | date | None


class Column(msgspec.Struct, frozen=True):
    """A table column: its name, value kind and meaning (goes into the data dictionary)."""

    name: str
    kind: ColumnKind
    description: str


class Table(msgspec.Struct, kw_only=True):
    """A named tidy table; ``rows`` hold one value per column, in column order."""

    name: str
    description: str
    columns: list[Column]
    rows: list[list[Cell]] = []


def _c(name: str, kind: ColumnKind, description: str) -> Column:
    return Column(name, kind, description)


# --- summary ------------------------------------------------------------------------------

_SUMMARY_METRICS: list[tuple[str, str]] = [
    ("conversations", "Conversations in the export"),
    ("empty_conversations", "Conversations without a visible message"),
    ("messages", "Visible messages"),
    ("words", "Words in visible message text"),
    ("characters", "Characters in visible message text"),
    ("mean_messages_per_conversation", "Mean messages per conversation"),
    ("median_messages_per_conversation", "Median messages per conversation"),
    ("mean_words_per_message", "Mean words per message"),
    ("median_words_per_message", "Median words per message"),
    ("thinking_blocks", "Assistant thinking blocks"),
    ("tool_uses", "Tool calls"),
    ("tool_errors", "Tool results flagged as errors"),
    ("attachments", "Attachments with extracted text"),
    ("files", "Binary uploads (names only)"),
    ("citations", "Citations"),
    ("abandoned_branches", "Branch points where the user regenerated or edited"),
    ("abandoned_messages", "Messages on abandoned branches"),
    ("hidden_messages", "Messages not shown in the conversation"),
]
_SUMMARY_DICTS: list[tuple[str, str]] = [
    ("messages_by_role", "Messages by role"),
    ("words_by_role", "Words by role"),
    ("mean_words_by_role", "Mean words per message by role"),
    ("median_words_by_role", "Median words per message by role"),
    ("models", "Conversations per model"),
]


def summary_metrics(results: AnalysisResults) -> list[tuple[str, int | float | str, str]]:
    """(metric, value, description) for the headline figures, in display order."""
    summary = results.summary
    rows: list[tuple[str, int | float | str, str]] = [
        (name, getattr(summary, name), text) for name, text in _SUMMARY_METRICS
    ]
    for name, text in _SUMMARY_DICTS:
        for key, value in getattr(summary, name).items():
            rows.append((f"{name}.{key}", value, f"{text}: {key}"))
    if len(summary.date_range) == 2:
        rows.append(("date_range.first", summary.date_range[0], "First active day"))
        rows.append(("date_range.last", summary.date_range[1], "Last active day"))
    if results.quality is not None:
        failures = results.quality.failures
        rows.append(("failures.total", failures.total, "Detected assistant failures"))
        rows.append(
            (
                "failures.rate",
                failures.failure_rate,
                "Share of assistant messages with at least one failure",
            )
        )
    if results.sentiment is not None:
        rows.append(
            (
                "sentiment.mean_compound",
                results.sentiment.mean_compound,
                "Mean VADER compound score of user messages",
            )
        )
    if results.privacy is not None:
        rows.append(("privacy.total", results.privacy.total, "PII findings (values never stored)"))
    return rows


def summary_table(results: AnalysisResults) -> Table:
    """Headline metrics, one row per metric."""
    return Table(
        name="summary",
        description="Headline figures, one row per metric",
        columns=[
            _c("metric", "string", "Metric name"),
            _c("value", "number", "Metric value (a number, or an ISO date for date_range)"),
            _c("description", "string", "What the metric counts"),
        ],
        rows=[[m, v, d] for m, v, d in summary_metrics(results)],
    )


# --- conversations and messages ----------------------------------------------------------


def conversations_table(results: AnalysisResults, corpus: Corpus) -> Table:
    """One row per conversation, with its quality, sentiment, topic and failure figures."""
    tz = zone_or_utc(results.options.timezone)
    quality = {
        q.conversation_id: q for q in (results.quality.conversations if results.quality else [])
    }
    sentiment = {
        s.conversation_id: s
        for s in (results.sentiment.by_conversation if results.sentiment else [])
    }
    primary: dict[str, str] = {}
    if results.topics is not None:
        for a in results.topics.assignments:
            if a.topics:
                primary[a.conversation_id] = max(a.topics, key=lambda s: s.score).topic_id
    failures = Counter(
        f.conversation_id for f in (results.quality.failures.findings if results.quality else [])
    )
    pii = Counter(p.conversation_id for p in (results.privacy.findings if results.privacy else []))
    rows: list[list[Cell]] = []
    for conv in corpus.conversations:
        q = quality.get(conv.id)
        s = sentiment.get(conv.id)
        roles = Counter(m.role for m in conv.messages)
        rows.append(
            [
                conv.id,
                conv.title or "",
                conv.source,
                conv.model or "",
                conv.project or "",
                to_local(conv.created_at, tz) if conv.created_at else None,
                to_local(conv.updated_at, tz) if conv.updated_at else None,
                len(conv.messages),
                roles.get("user", 0),
                roles.get("assistant", 0),
                sum(word_count(m.text) for m in conv.messages),
                conv.abandoned_branches,
                conv.hidden_messages,
                primary.get(conv.id, ""),
                q.task_completion if q else "",
                q.collaboration_score if q else None,
                q.response_effectiveness if q else None,
                s.label if s else "",
                s.delta if s else None,
                failures.get(conv.id, 0),
                pii.get(conv.id, 0),
            ]
        )
    return Table(
        name="conversations",
        description="One row per conversation",
        columns=[
            _c("conversation_id", "string", "Conversation id from the export"),
            _c("title", "string", "Conversation title (redacted unless PII was included)"),
            _c("source", "string", "Export source: claude or chatgpt"),
            _c("model", "string", "Model named by the conversation"),
            _c("project", "string", "Project the conversation belongs to"),
            _c("created_at", "datetime", "Creation time, analysis timezone"),
            _c("updated_at", "datetime", "Last update time, analysis timezone"),
            _c("messages", "integer", "Visible messages"),
            _c("user_messages", "integer", "Visible user messages"),
            _c("assistant_messages", "integer", "Visible assistant messages"),
            _c("words", "integer", "Words in visible message text"),
            _c("abandoned_branches", "integer", "Regenerate/edit branch points"),
            _c("hidden_messages", "integer", "Messages not shown in the conversation"),
            _c("primary_topic", "string", "Topic id with the highest score"),
            _c("task_completion", "string", "completed, in_progress, abandoned or blocked"),
            _c("collaboration_score", "number", "Collaboration score, 0-1"),
            _c("response_effectiveness", "number", "Response effectiveness, 0-1 (blank: unknown)"),
            _c("sentiment_label", "string", "Conversation sentiment label"),
            _c("sentiment_delta", "number", "End minus start compound score of user messages"),
            _c("failures", "integer", "Detected assistant failures"),
            _c("privacy_findings", "integer", "PII findings in the conversation"),
        ],
        rows=rows,
    )


def messages_table(results: AnalysisResults, corpus: Corpus) -> Table:
    """One row per visible message, including its (possibly redacted) text."""
    tz = zone_or_utc(results.options.timezone)
    sentiment = {
        s.message_id: s for s in (results.sentiment.by_message if results.sentiment else [])
    }
    failures = Counter(
        f.message_id for f in (results.quality.failures.findings if results.quality else [])
    )
    rows: list[list[Cell]] = []
    for conv in corpus.conversations:
        for index, m in enumerate(conv.messages):
            s = sentiment.get(m.id)
            rows.append(
                [
                    conv.id,
                    m.id,
                    index,
                    m.role,
                    to_local(m.created_at, tz) if m.created_at else None,
                    m.model or (conv.model or "" if m.role == "assistant" else ""),
                    word_count(m.text),
                    len(m.text),
                    len(m.thinking),
                    len(m.tool_uses),
                    sum(1 for r in m.tool_results if r.is_error),
                    len(m.attachments),
                    len(m.files),
                    len(m.citations),
                    s.compound if s else None,
                    s.label if s else "",
                    failures.get(m.id, 0),
                    m.text,
                ]
            )
    return Table(
        name="messages",
        description="One row per visible message",
        columns=[
            _c("conversation_id", "string", "Conversation id"),
            _c("message_id", "string", "Message id"),
            _c("position", "integer", "0-based position in the conversation"),
            _c("role", "string", "user or assistant"),
            _c("created_at", "datetime", "Message time, analysis timezone"),
            _c("model", "string", "Model that wrote an assistant message"),
            _c("words", "integer", "Words in the visible text"),
            _c("characters", "integer", "Characters in the visible text"),
            _c("thinking_blocks", "integer", "Thinking blocks"),
            _c("tool_uses", "integer", "Tool calls"),
            _c("tool_errors", "integer", "Tool results flagged as errors"),
            _c("attachments", "integer", "Attachments"),
            _c("files", "integer", "Binary uploads"),
            _c("citations", "integer", "Citations"),
            _c("sentiment_compound", "number", "VADER compound score, -1..1 (user messages)"),
            _c("sentiment_label", "string", "Sentiment label (user messages)"),
            _c("failures", "integer", "Failures attributed to this message"),
            _c("text", "string", "Visible text (redacted unless PII was included)"),
        ],
        rows=rows,
    )


# --- topics ---------------------------------------------------------------------------


def topics_table(results: AnalysisResults) -> Table:
    """One row per topic (taxonomy and learned)."""
    topics = [*results.topics.taxonomy, *results.topics.learned] if results.topics else []
    return Table(
        name="topics",
        description="One row per topic",
        columns=[
            _c("topic_id", "string", "Topic id"),
            _c("label", "string", "Topic label"),
            _c("kind", "string", "taxonomy or learned"),
            _c("conversations", "integer", "Conversations assigned the topic"),
            _c("share", "number", "Share of conversations, 0-1"),
            _c("top_terms", "string", "Most characteristic terms, space-separated"),
        ],
        rows=[
            [t.id, t.label, t.kind, t.conversations, t.share, " ".join(t.top_terms)] for t in topics
        ],
    )


def conversation_topics_table(results: AnalysisResults) -> Table:
    """One row per (conversation, topic) assignment."""
    labels = {}
    if results.topics is not None:
        labels = {t.id: t for t in [*results.topics.taxonomy, *results.topics.learned]}
    rows: list[list[Cell]] = []
    for a in results.topics.assignments if results.topics else []:
        ranked = sorted(a.topics, key=lambda s: -s.score)
        for rank, score in enumerate(ranked, start=1):
            topic = labels.get(score.topic_id)
            rows.append(
                [
                    a.conversation_id,
                    score.topic_id,
                    topic.label if topic else "",
                    topic.kind if topic else "",
                    score.score,
                    rank,
                ]
            )
    return Table(
        name="conversation_topics",
        description="One row per (conversation, topic) assignment",
        columns=[
            _c("conversation_id", "string", "Conversation id"),
            _c("topic_id", "string", "Topic id"),
            _c("topic_label", "string", "Topic label"),
            _c("topic_kind", "string", "taxonomy or learned"),
            _c("score", "number", "Assignment score, 0-1"),
            _c("rank", "integer", "1 = the conversation's strongest topic"),
        ],
        rows=rows,
    )


# --- sentiment --------------------------------------------------------------------------


def sentiment_table(results: AnalysisResults) -> Table:
    """One row per scored (user) message."""
    scores = results.sentiment.by_message if results.sentiment else []
    return Table(
        name="sentiment",
        description="One row per scored user message",
        columns=[
            _c("conversation_id", "string", "Conversation id"),
            _c("message_id", "string", "Message id"),
            _c("compound", "number", "VADER compound score, -1..1"),
            _c("label", "string", "Sentiment label"),
            _c("urgent", "boolean", "Message reads as urgent"),
            _c("questioning", "boolean", "Message asks a question"),
            _c("collaborative", "boolean", "Message reads as collaborative"),
        ],
        rows=[
            [
                s.conversation_id,
                s.message_id,
                s.compound,
                s.label,
                s.urgent,
                s.questioning,
                s.collaborative,
            ]
            for s in scores
        ],
    )


def sentiment_monthly_table(results: AnalysisResults) -> Table:
    """One row per month of user-message sentiment."""
    periods = results.sentiment.monthly if results.sentiment else []
    return Table(
        name="sentiment_monthly",
        description="One row per month: mean sentiment of user messages",
        columns=[
            _c("month", "string", "Month, YYYY-MM"),
            _c("mean_compound", "number", "Mean compound score"),
            _c("messages", "integer", "Scored messages"),
        ],
        rows=[[p.period, p.mean_compound, p.messages] for p in periods],
    )


# --- quality and failures ----------------------------------------------------------------


def failures_table(results: AnalysisResults) -> Table:
    """One row per detected failure."""
    findings = results.quality.failures.findings if results.quality else []
    return Table(
        name="failures",
        description="One row per detected assistant failure",
        columns=[
            _c("failure_id", "string", "Failure id"),
            _c("conversation_id", "string", "Conversation id"),
            _c("message_id", "string", "Assistant message the failure is attributed to"),
            _c("type", "string", "Failure type"),
            _c("severity", "string", "high, medium or low"),
            _c("evidence", "string", "user_complaint, refusal, tool_error or regeneration"),
            _c("evidence_message_ids", "string", "Messages showing the evidence, space-separated"),
            _c("matched", "string", "Phrase or signal that matched (redacted text)"),
        ],
        rows=[
            [
                f.id,
                f.conversation_id,
                f.message_id,
                f.type,
                f.severity,
                f.evidence,
                " ".join(f.evidence_message_ids),
                f.matched,
            ]
            for f in findings
        ],
    )


def failure_types_table(results: AnalysisResults) -> Table:
    """One row per (failure type, severity) with its count."""
    grid = results.quality.failures.by_type_and_severity if results.quality else {}
    rows: list[list[Cell]] = []
    for ftype in sorted(grid):
        for severity in SEVERITIES:
            if grid[ftype].get(severity):
                rows.append([ftype, severity, grid[ftype][severity]])
    return Table(
        name="failure_types",
        description="One row per (failure type, severity)",
        columns=[
            _c("type", "string", "Failure type"),
            _c("severity", "string", "high, medium or low"),
            _c("failures", "integer", "Detected failures"),
        ],
        rows=rows,
    )


def quality_table(results: AnalysisResults) -> Table:
    """One row per conversation's quality metrics."""
    convs = results.quality.conversations if results.quality else []
    return Table(
        name="quality",
        description="One row per conversation: quality metrics",
        columns=[
            _c("conversation_id", "string", "Conversation id"),
            _c("task_completion", "string", "completed, in_progress, abandoned or blocked"),
            _c("completion_confidence", "number", "Confidence of the completion call, 0-1"),
            _c("collaboration_score", "number", "Collaboration score, 0-1"),
            _c("turns", "integer", "User/assistant turns"),
            _c("user_questions", "integer", "User messages asking a question"),
            _c("code_blocks", "integer", "Code blocks"),
            _c("clarification_requests", "integer", "Assistant clarification requests"),
            _c("interruptions", "integer", "User interruptions"),
            _c("monologues", "integer", "Runs of one role without reply"),
            _c("quick_responses", "integer", "Quick user replies"),
            _c("long_gaps", "integer", "Long pauses"),
            _c("response_effectiveness", "number", "Response effectiveness, 0-1 (blank: unknown)"),
            _c("failures", "integer", "Detected failures"),
        ],
        rows=[
            [
                q.conversation_id,
                q.task_completion,
                q.completion_confidence,
                q.collaboration_score,
                q.turns,
                q.user_questions,
                q.code_blocks,
                q.clarification_requests,
                q.interruptions,
                q.monologues,
                q.quick_responses,
                q.long_gaps,
                q.response_effectiveness,
                q.failures,
            ]
            for q in convs
        ],
    )


# --- temporal ---------------------------------------------------------------------------


def temporal_table(results: AnalysisResults) -> Table:
    """One row per active day (the calendar)."""
    days = results.temporal.calendar if results.temporal else []
    return Table(
        name="temporal",
        description="One row per active day, analysis timezone",
        columns=[
            _c("date", "date", "Day"),
            _c("messages", "integer", "Messages that day"),
            _c("conversations", "integer", "Conversations active that day"),
        ],
        rows=[[date.fromisoformat(d.date), d.messages, d.conversations] for d in days],
    )


def monthly_activity_table(results: AnalysisResults) -> Table:
    """One row per month: messages, mean sentiment."""
    monthly = results.temporal.monthly if results.temporal else {}
    evolution = results.temporal.sentiment_evolution if results.temporal else {}
    return Table(
        name="monthly_activity",
        description="One row per month",
        columns=[
            _c("month", "string", "Month, YYYY-MM"),
            _c("messages", "integer", "Messages that month"),
            _c("mean_sentiment", "number", "Mean compound score of user messages"),
        ],
        rows=[[m, n, evolution.get(m)] for m, n in sorted(monthly.items())],
    )


def heatmap_table(results: AnalysisResults) -> Table:
    """One row per (weekday, hour): 168 rows, zeros included."""
    grid = results.temporal.heatmap if results.temporal else []
    rows: list[list[Cell]] = []
    for day in range(7):
        for hour in range(24):
            value = grid[day][hour] if day < len(grid) and hour < len(grid[day]) else 0
            rows.append([WEEKDAYS[day], hour, value])
    return Table(
        name="activity_heatmap",
        description="One row per (weekday, hour of day): messages",
        columns=[
            _c("weekday", "string", "Day of the week"),
            _c("hour", "integer", "Hour of day, 0-23, analysis timezone"),
            _c("messages", "integer", "Messages"),
        ],
        rows=rows,
    )


def length_trends_table(results: AnalysisResults) -> Table:
    """One row per (month, role): mean message length."""
    trends = results.temporal.length_trends if results.temporal else []
    return Table(
        name="length_trends",
        description="One row per (month, role): mean words per message",
        columns=[
            _c("month", "string", "Month, YYYY-MM"),
            _c("role", "string", "user or assistant"),
            _c("mean_words", "number", "Mean words per message"),
            _c("messages", "integer", "Messages"),
        ],
        rows=[[t.period, t.role, t.mean_words, t.messages] for t in trends],
    )


# --- privacy ----------------------------------------------------------------------------


def privacy_table(results: AnalysisResults) -> Table:
    """One row per PII entity type."""
    privacy = results.privacy
    counts = privacy.counts if privacy else {}
    best_effort = set(privacy.best_effort_types) if privacy else set()
    return Table(
        name="privacy",
        description="One row per PII entity type (values are never stored)",
        columns=[
            _c("entity_type", "string", "PII entity type"),
            _c("findings", "integer", "Findings"),
            _c("operator", "string", "How it was redacted"),
            _c("best_effort", "boolean", "Detected heuristically (e.g. person names)"),
        ],
        rows=[
            [t, n, privacy.operators.get(t, "") if privacy else "", t in best_effort]
            for t, n in sorted(counts.items())
        ],
    )


def privacy_findings_table(results: AnalysisResults) -> Table:
    """One row per PII finding (where, never what)."""
    findings = results.privacy.findings if results.privacy else []
    return Table(
        name="privacy_findings",
        description="One row per PII finding: location and type only",
        columns=[
            _c("conversation_id", "string", "Conversation id"),
            _c("message_id", "string", "Message id"),
            _c("entity_type", "string", "PII entity type"),
            _c("field", "string", "text, attachment, thinking, tool or title"),
        ],
        rows=[[f.conversation_id, f.message_id, f.entity_type, f.field] for f in findings],
    )


# --- all tables ---------------------------------------------------------------------------

_RESULT_TABLES: list[Callable[[AnalysisResults], Table]] = [
    topics_table,
    conversation_topics_table,
    sentiment_table,
    sentiment_monthly_table,
    failures_table,
    failure_types_table,
    quality_table,
    temporal_table,
    monthly_activity_table,
    heatmap_table,
    length_trends_table,
    privacy_table,
    privacy_findings_table,
]


def build_tables(results: AnalysisResults, corpus: Corpus) -> list[Table]:
    """Every tidy table of an export, in output order (without the data dictionary)."""
    return [
        summary_table(results),
        conversations_table(results, corpus),
        messages_table(results, corpus),
        *(build(results) for build in _RESULT_TABLES),
    ]


def data_dictionary(tables: list[Table]) -> Table:
    """One row per column of every table: what it holds."""
    return Table(
        name="data_dictionary",
        description="One row per column of every table",
        columns=[
            _c("table", "string", "Table (CSV file or sheet) name"),
            _c("column", "string", "Column name"),
            _c("type", "string", "string, integer, number, datetime, date or boolean"),
            _c("description", "string", "What the column holds"),
        ],
        rows=[[t.name, c.name, c.kind, c.description] for t in tables for c in t.columns],
    )
