"""Export filters: parse them from the API's ``options.filter`` and apply them.

The filter selects a sub-corpus; :func:`apply_filter` then restricts the
per-conversation and per-message parts of the results to it and recomputes the
aggregates that can be recomputed from the filtered corpus and the per-item
results. Every format renders the same filtered pair, so the filter is applied
consistently everywhere.

Selection rules
---------------
Conversation-level criteria (a conversation is kept when it matches *all* given ones):

* ``conversation_ids`` - its id is listed;
* ``topics`` - it is assigned at least one listed topic id (any score);
* ``models`` - its model or the model of any of its messages is listed;
* ``sentiment`` - its conversation sentiment label is listed.

Message-level criteria (inside kept conversations):

* ``date_from`` / ``date_to`` - inclusive ISO dates, compared in the analysis
  timezone; a message without a timestamp uses its conversation's ``created_at``
  and is dropped when neither exists;
* ``roles`` - its role is listed.

When a message-level criterion is set, conversations left without messages are
dropped; an empty conversation is then kept only if its ``created_at`` is in the
date range and no role criterion is set.

Aggregates (see :data:`RECOMPUTED` and :data:`NOT_RECOMPUTED`)
---------------------------------------------------------------
The filtered corpus is prepared and aggregated by the engine's own code
(:mod:`convoscope_common.aggregates`), so every recomputed figure is the one the
analyzer computes on that sub-corpus: the whole ``summary`` and ``temporal``
section; topic counts, shares, months and ids; sentiment totals, label and flag
counts, monthly means and per-conversation start/end (from the kept per-message
scores); quality task-completion counts and means; failure totals, the matrix and
the rate; privacy totals and counts by type (from the kept findings).

Kept as computed on the whole corpus, because the engine derives them from whole
conversations or the whole corpus: per-conversation quality metrics and failure
findings (restricted to the kept messages, not re-detected) and learned topics.
Precomputed ``results.charts`` are dropped so renderers derive charts from the
filtered sections. An empty filter returns the inputs unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo

import msgspec

from convoscope_common.aggregates.comparison import compare
from convoscope_common.aggregates.localtime import to_local, zone_or_utc
from convoscope_common.aggregates.prepared import prepare_corpus
from convoscope_common.aggregates.summary import message_index, summarize
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.options import ExportFilter, export_filter_problem
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import InvalidFilterError
from convoscope_exporter.restrict import (
    restrict_privacy,
    restrict_quality,
    restrict_sentiment,
    restrict_temporal,
    restrict_topics,
)

RECOMPUTED: tuple[str, ...] = (
    "summary",
    "topics.conversations",
    "topics.share",
    "topics.monthly",
    "topics.conversation_ids",
    "sentiment.messages",
    "sentiment.mean_compound",
    "sentiment.labels",
    "sentiment.flags",
    "sentiment.monthly",
    "quality.task_completion",
    "quality.mean_collaboration_score",
    "quality.mean_response_effectiveness",
    "quality.failures",
    "temporal.date_range",
    "temporal.daily",
    "temporal.weekly",
    "temporal.monthly",
    "temporal.heatmap",
    "temporal.calendar",
    "temporal.peak_hours",
    "temporal.busiest_weekdays",
    "temporal.topic_evolution",
    "temporal.sentiment_evolution",
    "temporal.length_trends",
    "temporal.sessions",
    "temporal.streaks",
    "temporal.change_points",
    "temporal.engagement_score",
    "sentiment.by_conversation",
    "message_index",
    "comparison",
    "privacy.total",
    "privacy.counts",
    "privacy.messages_affected",
    "privacy.conversations_affected",
)
NOT_RECOMPUTED: tuple[str, ...] = (
    "quality.conversations (per-conversation metrics)",
    "quality.failures.findings (detected reading whole conversations)",
    "topics.top_terms",
    "topics.learned (learned on the whole corpus; counts and shares are recomputed)",
    "charts (re-derived from the filtered sections)",
    "usage (the estimate of the whole analysis: its cost used the analysis' prices)",
)


def parse_filter(raw: dict[str, object] | ExportFilter | None) -> ExportFilter:
    """Validate the API's ``options.filter`` (a raw object or an already typed filter).

    Raises :class:`InvalidFilterError` with a message a user can act on for unknown
    keys, wrong types, bad ISO dates, an inverted date range, unknown roles or
    sentiment labels.
    """
    if raw is None:
        return ExportFilter()
    if isinstance(raw, ExportFilter):
        flt = raw
    elif not isinstance(raw, dict):
        raise InvalidFilterError("filter must be a JSON object")
    else:
        try:
            flt = msgspec.convert(raw, ExportFilter, strict=False)
        except msgspec.ValidationError as exc:
            raise InvalidFilterError(f"invalid filter: {exc}") from None
    problem = export_filter_problem(flt)
    if problem is not None:
        raise InvalidFilterError(problem)
    return flt


# --- selecting the sub-corpus -------------------------------------------------------------


def _topic_ids_by_conversation(results: AnalysisResults) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    if results.topics is None:
        return found
    for assignment in results.topics.assignments:
        found[assignment.conversation_id].update(s.topic_id for s in assignment.topics)
    for topic in [*results.topics.taxonomy, *results.topics.learned]:
        for cid in topic.conversation_ids:
            found[cid].add(topic.id)
    return found


class _ConversationCriteria:
    """The conversation-level criteria as sets (id lists can be long)."""

    def __init__(self, flt: ExportFilter, results: AnalysisResults) -> None:
        self.ids = frozenset(flt.conversation_ids)
        self.topics = frozenset(flt.topics)
        self.models = frozenset(flt.models)
        self.sentiment = frozenset(flt.sentiment)
        self.topic_ids = _topic_ids_by_conversation(results) if self.topics else {}
        self.labels: dict[str, str] = {}
        if self.sentiment and results.sentiment is not None:
            self.labels = {c.conversation_id: c.label for c in results.sentiment.by_conversation}

    def matches(self, conv: Conversation) -> bool:
        if self.ids and conv.id not in self.ids:
            return False
        if self.topics and self.topics.isdisjoint(self.topic_ids.get(conv.id, ())):
            return False
        if self.models and self.models.isdisjoint({conv.model, *(m.model for m in conv.messages)}):
            return False
        return not (self.sentiment and self.labels.get(conv.id) not in self.sentiment)


def _in_date_range(moment: datetime | None, flt: ExportFilter, tz: tzinfo) -> bool:
    if not (flt.date_from or flt.date_to):
        return True
    if moment is None:
        return False
    day = to_local(moment, tz).date()
    if flt.date_from and day < flt.date_from:
        return False
    return not (flt.date_to and day > flt.date_to)


def _select_messages(conv: Conversation, flt: ExportFilter, tz: tzinfo) -> list[Message]:
    return [
        m
        for m in conv.messages
        if (not flt.roles or m.role in flt.roles)
        and _in_date_range(m.created_at or conv.created_at, flt, tz)
    ]


def filter_corpus(corpus: Corpus, results: AnalysisResults, flt: ExportFilter) -> Corpus:
    """The sub-corpus the filter selects (see the module docstring for the rules)."""
    tz = zone_or_utc(results.options.timezone)
    criteria = _ConversationCriteria(flt, results)
    kept: list[Conversation] = []
    for conv in corpus.conversations:
        if not criteria.matches(conv):
            continue
        if not flt.has_message_criteria():
            kept.append(conv)
            continue
        messages = _select_messages(conv, flt, tz)
        if messages:
            kept.append(msgspec.structs.replace(conv, messages=messages))
        elif not conv.messages and not flt.roles and _in_date_range(conv.created_at, flt, tz):
            kept.append(conv)
    return msgspec.structs.replace(corpus, conversations=kept)


def apply_filter(
    results: AnalysisResults, corpus: Corpus, flt: ExportFilter
) -> tuple[AnalysisResults, Corpus]:
    """Filter the corpus and bring the results in line with it (module docstring has the rules)."""
    if flt.is_empty():
        return results, corpus
    tz = zone_or_utc(results.options.timezone)
    filtered = filter_corpus(corpus, results, flt)
    # The engine's own preparation and aggregates, run on the sub-corpus.
    prepared = prepare_corpus(filtered, tz)
    # Languages are the engine's, detected on the whole export: carried over, not redone.
    languages = {record.message_id: record.language for record in results.message_index}
    for item in prepared:
        for pm in item.messages:
            pm.language = languages.get(pm.message.id)
    topics = restrict_topics(results.topics, prepared) if results.topics else None
    sentiment = restrict_sentiment(results.sentiment, prepared) if results.sentiment else None
    quality = restrict_quality(results.quality, prepared) if results.quality else None
    temporal = (
        restrict_temporal(results.temporal, prepared, topics, sentiment)
        if results.temporal
        else None
    )
    privacy = restrict_privacy(results.privacy, prepared) if results.privacy else None
    restricted = msgspec.structs.replace(
        results,
        summary=summarize(prepared),
        message_index=message_index(prepared),
        topics=topics,
        sentiment=sentiment,
        quality=quality,
        temporal=temporal,
        privacy=privacy,
        charts=[],
        comparison=compare(
            prepared,
            sentiment.by_message if sentiment else [],
            quality.failures.findings if quality else None,
            quality.conversations if quality else None,
            temporal.change_points if temporal else None,
        )
        if results.comparison is not None
        else None,
    )
    return restricted, filtered
