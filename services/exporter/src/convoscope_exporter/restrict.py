"""Bring each section of the results in line with a filtered corpus.

Per-item lists (topic members, scored messages, findings, qualities) are limited to the
kept conversations and messages; every total over them is then computed by the shared
aggregates (:mod:`convoscope_common.aggregates`), the same functions the engine calls,
so a filtered section equals the engine's section on the filtered corpus.
"""

from __future__ import annotations

import msgspec

from convoscope_common.aggregates.localtime import month_key
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.aggregates.sections import (
    failure_summary,
    monthly_means,
    privacy_totals,
    quality_summary,
    restrict_topic,
    sentiment_totals,
)
from convoscope_common.aggregates.temporal import temporal
from convoscope_common.results import (
    FailureSummary,
    PrivacyReport,
    Quality,
    Sentiment,
    Temporal,
    Topics,
)

MessageKey = tuple[str, str]  # (conversation id, message id): message ids are per conversation


def _message_keys(prepared: list[PreparedConversation]) -> set[MessageKey]:
    return {(c.id, pm.message.id) for c in prepared for pm in c.messages}


def restrict_topics(topics: Topics, prepared: list[PreparedConversation]) -> Topics:
    """Topics limited to the kept conversations, counts, shares and months recomputed."""
    kept = {c.id for c in prepared}
    months = {c.id: c.month for c in prepared}
    # The share is of conversations with messages (empty ones get no topic).
    analysed = sum(1 for c in prepared if c.messages)
    return Topics(
        taxonomy=[restrict_topic(t, kept, analysed, months) for t in topics.taxonomy],
        learned=[restrict_topic(t, kept, analysed, months) for t in topics.learned],
        assignments=[a for a in topics.assignments if a.conversation_id in kept],
    )


def restrict_sentiment(sentiment: Sentiment, prepared: list[PreparedConversation]) -> Sentiment:
    """Sentiment of the kept messages: every total, monthly mean and conversation recomputed."""
    months = {
        (c.id, pm.message.id): month_key(pm.local) if pm.local is not None else None
        for c in prepared
        for pm in c.messages
    }
    by_message = [s for s in sentiment.by_message if (s.conversation_id, s.message_id) in months]
    totals = sentiment_totals(
        by_message, [months[(s.conversation_id, s.message_id)] for s in by_message]
    )
    return msgspec.structs.replace(
        sentiment,
        messages=totals.messages,
        mean_compound=totals.mean_compound,
        labels=totals.labels,
        flags=totals.flags,
        monthly=totals.monthly,
        by_message=by_message,
        by_conversation=totals.by_conversation,
    )


def restrict_failures(
    failures: FailureSummary, prepared: list[PreparedConversation]
) -> FailureSummary:
    """Findings on kept messages, with every count and the rate recomputed."""
    kept = _message_keys(prepared)
    findings = [f for f in failures.findings if (f.conversation_id, f.message_id) in kept]
    assistant = sum(1 for c in prepared for pm in c.messages if pm.message.role == "assistant")
    return failure_summary(findings, assistant)


def restrict_quality(quality: Quality, prepared: list[PreparedConversation]) -> Quality:
    """Quality of the kept conversations; task counts, means and failures recomputed."""
    kept = {c.id for c in prepared}
    conversations = [q for q in quality.conversations if q.conversation_id in kept]
    return quality_summary(conversations, restrict_failures(quality.failures, prepared))


def restrict_temporal(
    section: Temporal,
    prepared: list[PreparedConversation],
    topics: Topics | None,
    sentiment: Sentiment | None,
) -> Temporal:
    """The whole temporal section recomputed from the kept messages' local times."""
    return temporal(
        prepared,
        section.timezone,
        assignments=topics.assignments if topics is not None else None,
        sentiment_monthly=monthly_means(sentiment.monthly) if sentiment is not None else None,
        session_gap_minutes=section.sessions.gap_minutes,
    )


def restrict_privacy(privacy: PrivacyReport, prepared: list[PreparedConversation]) -> PrivacyReport:
    """Privacy findings on kept messages, titles of kept conversations and projects, recounted."""
    messages = _message_keys(prepared)
    conversations = {c.id for c in prepared}
    findings = [
        f
        for f in privacy.findings
        if (f.conversation_id, f.message_id) in messages
        or (f.field == "title" and f.conversation_id in conversations)
        # Project names stay in a filtered export's corpus, so their findings stay too.
        or f.field == "project"
    ]
    totals = privacy_totals(findings)
    return msgspec.structs.replace(
        privacy,
        total=totals.total,
        counts=totals.counts,
        messages_affected=totals.messages_affected,
        conversations_affected=totals.conversations_affected,
        findings=findings,
    )
