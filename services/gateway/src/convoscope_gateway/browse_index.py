"""Lookups over one analysis (its results and its corpus) for the browsing routes.

Built once per loaded analysis, then every page is a filter and a slice. Pure:
no NATS, no HTTP. Conversations are ordered newest first (then by id), messages
in the order of the results' message index, findings in the order the engine
wrote them: all stable, because cached results never change under their key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.results import (
    AnalysisResults,
    ConversationQuality,
    ConversationSentiment,
    Failure,
    MessageRecord,
    MessageSentiment,
    TopicScore,
)
from convoscope_gateway.browse_types import (
    ConversationRow,
    MessageDetail,
    MessageRow,
    MessageSentimentView,
)

MsgKey = tuple[str, str]  # (conversation_id, message_id)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _newest_first(conv: Conversation) -> tuple[int, float, str]:
    moment = conv.created_at or conv.updated_at
    if moment is None:
        return (1, 0.0, conv.id)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (0, -(moment - _EPOCH).total_seconds(), conv.id)


@dataclass
class BrowseIndex:
    """Everything a page needs, keyed by conversation and message."""

    results: AnalysisResults
    corpus: Corpus
    conversations: list[Conversation] = field(default_factory=list)
    conversation: dict[str, Conversation] = field(default_factory=dict)
    records: dict[str, list[MessageRecord]] = field(default_factory=dict)
    record: dict[MsgKey, MessageRecord] = field(default_factory=dict)
    message: dict[MsgKey, Message] = field(default_factory=dict)
    sentiment: dict[MsgKey, MessageSentiment] = field(default_factory=dict)
    conv_sentiment: dict[str, ConversationSentiment] = field(default_factory=dict)
    language: dict[str, str] = field(default_factory=dict)  # conversation -> dominant language
    quality: dict[str, ConversationQuality] = field(default_factory=dict)
    topics: dict[str, list[TopicScore]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    failure_ids: dict[MsgKey, list[str]] = field(default_factory=dict)
    privacy: dict[str, Counter[str]] = field(default_factory=dict)
    privacy_by_message: dict[MsgKey, Counter[str]] = field(default_factory=dict)
    message_order: list[MsgKey] = field(default_factory=list)
    rows: dict[str, ConversationRow] = field(default_factory=dict)


def build_index(results: AnalysisResults, corpus: Corpus) -> BrowseIndex:
    """Index ``results`` and the (redacted or original) ``corpus`` of one analysis."""
    index = BrowseIndex(results=results, corpus=corpus)
    index.conversations = sorted(corpus.conversations, key=_newest_first)
    for conv in corpus.conversations:
        index.conversation[conv.id] = conv
        for msg in conv.messages:
            index.message[(conv.id, msg.id)] = msg
    records: defaultdict[str, list[MessageRecord]] = defaultdict(list)
    for rec in results.message_index:
        records[rec.conversation_id].append(rec)
        key = (rec.conversation_id, rec.message_id)
        index.record[key] = rec
        index.message_order.append(key)
    index.records = dict(records)
    if results.languages is not None:
        index.language = {c.conversation_id: c.language for c in results.languages.by_conversation}
    if results.sentiment is not None:
        for ms in results.sentiment.by_message:
            index.sentiment[(ms.conversation_id, ms.message_id)] = ms
        index.conv_sentiment = {c.conversation_id: c for c in results.sentiment.by_conversation}
    if results.quality is not None:
        index.quality = {q.conversation_id: q for q in results.quality.conversations}
        failures: defaultdict[str, list[Failure]] = defaultdict(list)
        for finding in results.quality.failures.findings:
            failures[finding.conversation_id].append(finding)
            key = (finding.conversation_id, finding.message_id)
            index.failure_ids.setdefault(key, []).append(finding.id)
        index.failures = dict(failures)
    if results.topics is not None:
        index.topics = {
            a.conversation_id: sorted(a.topics, key=lambda s: (-s.score, s.topic_id))
            for a in results.topics.assignments
        }
    if results.privacy is not None:
        for pf in results.privacy.findings:
            if not pf.conversation_id:
                continue  # project names belong to no conversation
            index.privacy.setdefault(pf.conversation_id, Counter())[pf.entity_type] += pf.count
            key = (pf.conversation_id, pf.message_id)
            index.privacy_by_message.setdefault(key, Counter())[pf.entity_type] += pf.count
    index.rows = {conv.id: _row(index, conv) for conv in index.conversations}
    return index


def _row(index: BrowseIndex, conv: Conversation) -> ConversationRow:
    recs = index.records.get(conv.id, [])
    dates = [r.date for r in recs if r.date]
    roles = Counter(m.role for m in conv.messages)
    sentiment = index.conv_sentiment.get(conv.id)
    quality = index.quality.get(conv.id)
    return ConversationRow(
        conversation_id=conv.id,
        title=conv.title,
        source=conv.source,
        model=conv.model or next((m.model for m in conv.messages if m.model), None),
        project=conv.project,
        created_at=conv.created_at,
        updated_at=conv.updated_at,
        messages=len(conv.messages),
        user_messages=roles.get("user", 0),
        assistant_messages=roles.get("assistant", 0),
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
        topics=[s.topic_id for s in index.topics.get(conv.id, [])],
        sentiment=sentiment.label if sentiment else None,
        sentiment_delta=sentiment.delta if sentiment else None,
        task_completion=quality.task_completion if quality else None,
        collaboration_score=quality.collaboration_score if quality else None,
        failures=len(index.failures.get(conv.id, [])),
        privacy_findings=sum(index.privacy.get(conv.id, Counter()).values()),
        abandoned_branches=conv.abandoned_branches,
        abandoned_messages=conv.abandoned_messages,
    )


def message_row(index: BrowseIndex, key: MsgKey) -> MessageRow:
    """The row of one message of the index."""
    rec = index.record.get(key)
    msg = index.message.get(key)
    ms = index.sentiment.get(key)
    return MessageRow(
        conversation_id=key[0],
        message_id=key[1],
        role=rec.role if rec else (msg.role if msg else "user"),
        created_at=msg.created_at if msg else None,
        date=rec.date if rec else None,
        weekday=rec.weekday if rec else None,
        hour=rec.hour if rec else None,
        words=rec.words if rec else 0,
        model=msg.model if msg else None,
        text=msg.text if msg else "",
        sentiment=None
        if ms is None
        else MessageSentimentView(
            compound=ms.compound,
            label=ms.label,
            urgent=ms.urgent,
            questioning=ms.questioning,
            collaborative=ms.collaborative,
        ),
        failure_ids=index.failure_ids.get(key, []),
        abandoned_alternatives=msg.abandoned_alternatives if msg else 0,
    )


def message_detail(index: BrowseIndex, key: MsgKey) -> MessageDetail:
    """One message with its thinking, tools, attachments and privacy counts."""
    fields = msgspec.structs.asdict(message_row(index, key))
    msg = index.message.get(key)
    if msg is not None:
        fields.update(
            thinking=list(msg.thinking),
            tools=[t.name for t in msg.tool_uses],
            tool_errors=sum(1 for r in msg.tool_results if r.is_error),
            attachments=[a.file_name for a in msg.attachments],
            files=list(msg.files),
            citations=len(msg.citations),
        )
    fields["privacy"] = dict(index.privacy_by_message.get(key, Counter()))
    return MessageDetail(**fields)


def conversation_messages(index: BrowseIndex, conversation_id: str) -> list[MsgKey]:
    """The keys of one conversation's messages in conversation order."""
    conv = index.conversation[conversation_id]
    return [(conv.id, m.id) for m in conv.messages]
