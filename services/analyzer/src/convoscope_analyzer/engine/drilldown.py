"""Drill-down: from an aggregate back to the conversations and messages behind it."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from convoscope_analyzer.engine.errors import InvalidDrilldownQueryError
from convoscope_common.results import AnalysisResults, FailureType, SentimentLabel, Severity

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH = r"^\d{4}-\d{2}$"


class DrilldownQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Filters, all optional, combined with AND. Message-level filters select
    messages; conversation-level filters (topic, task completion, conversation)
    restrict which conversations those messages may come from."""

    sentiment_label: SentimentLabel | None = None
    topic_id: str | None = None
    failure_type: FailureType | None = None
    severity: Severity | None = None
    date: Annotated[str, msgspec.Meta(pattern=_DATE)] | None = None
    month: Annotated[str, msgspec.Meta(pattern=_MONTH)] | None = None
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    hour: Annotated[int, msgspec.Meta(ge=0, le=23)] | None = None
    role: Literal["user", "assistant"] | None = None
    task_completion: Literal["completed", "in_progress", "abandoned", "blocked"] | None = None
    conversation_id: str | None = None


class DrilldownResult(msgspec.Struct, kw_only=True):
    """The ids behind the queried aggregate, in corpus order."""

    conversation_ids: list[str] = []
    message_ids: list[str] = []
    conversations: int = 0
    messages: int = 0


def _intersect(current: set[str] | None, new: set[str]) -> set[str]:
    return new if current is None else current & new


def drilldown(results: AnalysisResults, query: DrilldownQuery) -> DrilldownResult:
    """Conversation and message ids matching every filter of ``query``.

    Raises :class:`InvalidDrilldownQueryError` when the query needs an analysis
    that did not run (e.g. a failure filter without quality results) or names an
    unknown topic.
    """
    conversations: set[str] | None = None
    messages: set[str] | None = None
    if query.conversation_id is not None:
        conversations = {query.conversation_id}
    if query.topic_id is not None:
        if results.topics is None:
            raise InvalidDrilldownQueryError("topics were not analysed")
        topic = next(
            (t for t in results.topics.taxonomy + results.topics.learned if t.id == query.topic_id),
            None,
        )
        if topic is None:
            raise InvalidDrilldownQueryError(f"unknown topic id: {query.topic_id!r}")
        conversations = _intersect(conversations, set(topic.conversation_ids))
    if query.task_completion is not None:
        if results.quality is None:
            raise InvalidDrilldownQueryError("quality was not analysed")
        matching = {
            q.conversation_id
            for q in results.quality.conversations
            if q.task_completion == query.task_completion
        }
        conversations = _intersect(conversations, matching)
    if query.sentiment_label is not None:
        if results.sentiment is None:
            raise InvalidDrilldownQueryError("sentiment was not analysed")
        matching = {
            m.message_id for m in results.sentiment.by_message if m.label == query.sentiment_label
        }
        messages = _intersect(messages, matching)
    if query.failure_type is not None or query.severity is not None:
        if results.quality is None:
            raise InvalidDrilldownQueryError("failures were not analysed (quality disabled)")
        matching = {
            f.message_id
            for f in results.quality.failures.findings
            if (query.failure_type is None or f.type == query.failure_type)
            and (query.severity is None or f.severity == query.severity)
        }
        messages = _intersect(messages, matching)
    index_filters = (query.date, query.month, query.weekday, query.hour, query.role)
    if any(f is not None for f in index_filters):
        matching = {
            r.message_id
            for r in results.message_index
            if (query.date is None or r.date == query.date)
            and (query.month is None or (r.date is not None and r.date.startswith(query.month)))
            and (query.weekday is None or r.weekday == query.weekday)
            and (query.hour is None or r.hour == query.hour)
            and (query.role is None or r.role == query.role)
        }
        messages = _intersect(messages, matching)
    conversation_ids: list[str] = []
    message_ids: list[str] = []
    seen: set[str] = set()
    for record in results.message_index:
        if conversations is not None and record.conversation_id not in conversations:
            continue
        if messages is not None and record.message_id not in messages:
            continue
        message_ids.append(record.message_id)
        if record.conversation_id not in seen:
            seen.add(record.conversation_id)
            conversation_ids.append(record.conversation_id)
    return DrilldownResult(
        conversation_ids=conversation_ids,
        message_ids=message_ids,
        conversations=len(conversation_ids),
        messages=len(message_ids),
    )
