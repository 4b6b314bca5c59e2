"""Tables read from the corpus joined with results: summary, conversations, messages.

Timestamps are converted to the analysis timezone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import islice

from convoscope_common.aggregates.localtime import to_local, zone_or_utc
from convoscope_common.aggregates.prepared import word_count
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.results import (
    AnalysisResults,
    ConversationQuality,
    ConversationSentiment,
    MessageSentiment,
)
from convoscope_exporter.tables.model import Cell, Column, Table, streamed_table, table_of

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
    ("voice_turns", "Voice turns (spoken, transcribed)"),
    ("images_generated", "Images the assistant generated"),
    ("images_uploaded", "Images the user uploaded"),
    ("canvas_documents", "Documents created beside the chat (canvases, artifacts)"),
    ("abandoned_branches", "Branch points where the user regenerated or edited"),
    ("abandoned_messages", "Messages on abandoned branches"),
    ("hidden_messages", "Messages not shown in the conversation"),
]
_SUMMARY_DICTS: list[tuple[str, str]] = [
    ("messages_by_role", "Messages by role"),
    ("words_by_role", "Words by role"),
    ("mean_words_by_role", "Mean words per message by role"),
    ("median_words_by_role", "Median words per message by role"),
    # The engine counts assistant messages per model (a message's own model, else its
    # conversation's), not conversations.
    ("models", "Assistant messages per model"),
    ("tool_calls_by_tool", "Tool calls per tool"),
    ("tool_calls_by_mcp_server", "Tool calls per MCP server (connector)"),
]

Metric = tuple[str, int | float | str, str]


def summary_metrics(results: AnalysisResults) -> list[Metric]:
    """(metric, value, description) for the headline figures, in display order."""
    summary = results.summary
    rows: list[Metric] = [(name, getattr(summary, name), text) for name, text in _SUMMARY_METRICS]
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
        rows.append(
            (
                "sentiment.coverage",
                results.sentiment.coverage,
                "Share of non-empty user messages scored (the others are in languages the "
                "sentiment model does not read: see the languages table)",
            )
        )
        for lang, count in results.sentiment.not_scored_by_language.items():
            rows.append(
                (
                    f"sentiment.not_scored.{lang}",
                    count,
                    f"User messages in {lang} not scored",
                )
            )
    if results.privacy is not None:
        rows.append(("privacy.total", results.privacy.total, "PII findings (values never stored)"))
    return rows


SUMMARY_COLUMNS: tuple[Column[Metric], ...] = (
    Column("metric", "string", "Metric name", lambda m: m[0]),
    Column(
        "value", "number", "Metric value (a number, or an ISO date for date_range)",
        lambda m: m[1],
    ),
    Column("description", "string", "What the metric counts", lambda m: m[2]),
)  # fmt: skip


def summary_table(results: AnalysisResults) -> Table:
    """Headline metrics, one row per metric."""
    return table_of(
        "summary", "Headline figures, one row per metric", SUMMARY_COLUMNS,
        summary_metrics(results),
    )  # fmt: skip


# --- conversations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A conversation with what the results say about it."""

    conv: Conversation
    tz: tzinfo
    roles: Counter[str]
    quality: ConversationQuality | None
    sentiment: ConversationSentiment | None
    primary_topic: str
    failures: int
    privacy_findings: int
    words: int


def _local(value: datetime | None, tz: tzinfo) -> datetime | None:
    return to_local(value, tz) if value else None


CONVERSATION_COLUMNS: tuple[Column[ConversationRow], ...] = (
    Column("conversation_id", "string", "Conversation id from the export", lambda r: r.conv.id),
    Column(
        "title", "string", "Conversation title (redacted unless PII was included)",
        lambda r: r.conv.title or "",
    ),
    Column("source", "string", "Export source: claude or chatgpt", lambda r: r.conv.source),
    Column("model", "string", "Model named by the conversation", lambda r: r.conv.model or ""),
    Column(
        "project", "string", "Project the conversation belongs to",
        lambda r: r.conv.project or "",
    ),
    Column(
        "created_at", "datetime", "Creation time, analysis timezone",
        lambda r: _local(r.conv.created_at, r.tz),
    ),
    Column(
        "updated_at", "datetime", "Last update time, analysis timezone",
        lambda r: _local(r.conv.updated_at, r.tz),
    ),
    Column("messages", "integer", "Visible messages", lambda r: len(r.conv.messages)),
    Column("user_messages", "integer", "Visible user messages", lambda r: r.roles.get("user", 0)),
    Column(
        "assistant_messages", "integer", "Visible assistant messages",
        lambda r: r.roles.get("assistant", 0),
    ),
    Column(
        "words", "integer", "Words in visible message text", lambda r: r.words,
    ),
    Column(
        "abandoned_branches", "integer", "Regenerate/edit branch points",
        lambda r: r.conv.abandoned_branches,
    ),
    Column(
        "hidden_messages", "integer", "Messages not shown in the conversation",
        lambda r: r.conv.hidden_messages,
    ),
    Column("primary_topic", "string", "Topic id with the highest score", lambda r: r.primary_topic),
    Column(
        "task_completion", "string", "completed, in_progress, abandoned or blocked",
        lambda r: r.quality.task_completion if r.quality else "",
    ),
    Column(
        "collaboration_score", "number", "Collaboration score, 0-1",
        lambda r: r.quality.collaboration_score if r.quality else None,
    ),
    Column(
        "response_effectiveness", "number", "Response effectiveness, 0-1 (blank: unknown)",
        lambda r: r.quality.response_effectiveness if r.quality else None,
    ),
    Column(
        "sentiment_label", "string", "Conversation sentiment label",
        lambda r: r.sentiment.label if r.sentiment else "",
    ),
    Column(
        "sentiment_delta", "number", "End minus start compound score of user messages",
        lambda r: r.sentiment.delta if r.sentiment else None,
    ),
    Column("failures", "integer", "Detected assistant failures", lambda r: r.failures),
    Column(
        "privacy_findings", "integer", "PII findings in the conversation",
        lambda r: r.privacy_findings,
    ),
)  # fmt: skip


def message_words(corpus: Corpus) -> list[list[int]]:
    """The words of every visible message, conversation by conversation (counted once
    for the conversations and the messages tables)."""
    return [[word_count(m.text) for m in conv.messages] for conv in corpus.conversations]


def conversations_table(
    results: AnalysisResults,
    corpus: Corpus,
    limit: int | None = None,
    words: list[list[int]] | None = None,
) -> Table:
    """One row per conversation, with its quality, sentiment, topic and failure figures;
    only the first ``limit`` conversations' rows when a limit is given (the reports show
    the first rows and say how many there are: ``len(corpus.conversations)``).
    ``words``: :func:`message_words` of ``corpus``, when already counted."""
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
    records = (
        ConversationRow(
            conv=conv,
            tz=tz,
            roles=Counter(m.role for m in conv.messages),
            quality=quality.get(conv.id),
            sentiment=sentiment.get(conv.id),
            primary_topic=primary.get(conv.id, ""),
            failures=failures.get(conv.id, 0),
            privacy_findings=pii.get(conv.id, 0),
            words=sum(counts) if counts is not None else sum(map(word_count, _texts(conv))),
        )
        for conv, counts in islice(_with_words(corpus, words), limit)
    )
    return table_of("conversations", "One row per conversation", CONVERSATION_COLUMNS, records)


# --- messages -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A visible message with its conversation, position and scores."""

    conv: Conversation
    message: Message
    position: int
    tz: tzinfo
    sentiment: MessageSentiment | None
    failures: int
    words: int


def _message_model(r: MessageRow) -> Cell:
    if r.message.model:
        return r.message.model
    return r.conv.model or "" if r.message.role == "assistant" else ""


MESSAGE_COLUMNS: tuple[Column[MessageRow], ...] = (
    Column("conversation_id", "string", "Conversation id", lambda r: r.conv.id),
    Column("message_id", "string", "Message id", lambda r: r.message.id),
    Column("position", "integer", "0-based position in the conversation", lambda r: r.position),
    Column("role", "string", "user or assistant", lambda r: r.message.role),
    Column(
        "created_at", "datetime", "Message time, analysis timezone",
        lambda r: _local(r.message.created_at, r.tz),
    ),
    Column("model", "string", "Model that wrote an assistant message", _message_model),
    Column("words", "integer", "Words in the visible text", lambda r: r.words),
    Column(
        "characters", "integer", "Characters in the visible text", lambda r: len(r.message.text)
    ),
    Column("thinking_blocks", "integer", "Thinking blocks", lambda r: len(r.message.thinking)),
    Column("tool_uses", "integer", "Tool calls", lambda r: len(r.message.tool_uses)),
    Column(
        "tool_errors", "integer", "Tool results flagged as errors",
        lambda r: sum(1 for t in r.message.tool_results if t.is_error),
    ),
    Column("attachments", "integer", "Attachments", lambda r: len(r.message.attachments)),
    Column("files", "integer", "Binary uploads", lambda r: len(r.message.files)),
    Column("citations", "integer", "Citations", lambda r: len(r.message.citations)),
    Column(
        "sentiment_compound", "number", "VADER compound score, -1..1 (user messages)",
        lambda r: r.sentiment.compound if r.sentiment else None,
    ),
    Column(
        "sentiment_label", "string", "Sentiment label (user messages)",
        lambda r: r.sentiment.label if r.sentiment else "",
    ),
    Column("failures", "integer", "Failures attributed to this message", lambda r: r.failures),
    Column(
        "text", "string", "Visible text (redacted unless PII was included)",
        lambda r: r.message.text,
    ),
)  # fmt: skip


def messages_table(
    results: AnalysisResults,
    corpus: Corpus,
    words: list[list[int]] | None = None,
    *,
    stream: bool = False,
) -> Table:
    """One row per visible message, including its (possibly redacted) text.
    ``words``: :func:`message_words` of ``corpus``, when already counted. With
    ``stream=True`` the rows are made as a writer reads them (:func:`streamed_table`),
    conversation after conversation, instead of held: the same rows, in the same order."""
    counted = message_words(corpus) if words is None else words
    tz = zone_or_utc(results.options.timezone)
    sentiment = {
        s.message_id: s for s in (results.sentiment.by_message if results.sentiment else [])
    }
    failures = Counter(
        f.message_id for f in (results.quality.failures.findings if results.quality else [])
    )

    def records() -> Iterator[MessageRow]:
        return (
            MessageRow(
                conv=conv,
                message=m,
                position=index,
                tz=tz,
                sentiment=sentiment.get(m.id),
                failures=failures.get(m.id, 0),
                words=count,
            )
            for conv, counts in zip(corpus.conversations, counted, strict=True)
            for index, (m, count) in enumerate(zip(conv.messages, counts, strict=True))
        )

    name, description = "messages", "One row per visible message"
    if stream:
        return streamed_table(name, description, MESSAGE_COLUMNS, records)
    return table_of(name, description, MESSAGE_COLUMNS, records())


def _texts(conv: Conversation) -> list[str]:
    return [m.text for m in conv.messages]


def _with_words(
    corpus: Corpus, words: list[list[int]] | None
) -> Iterator[tuple[Conversation, list[int] | None]]:
    if words is None:
        return ((conv, None) for conv in corpus.conversations)
    return zip(corpus.conversations, words, strict=True)
