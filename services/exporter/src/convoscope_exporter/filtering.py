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
Recomputed from the filtered corpus: every ``summary`` count, mean and median
(words are whitespace-separated tokens of the visible text); topic counts,
shares, monthly counts and ids; sentiment totals, label and flag counts and
monthly means (from the kept per-message scores); quality task-completion counts
and means; failure totals by type, severity and type x severity and the failure
rate; temporal daily/weekly/monthly message counts, the weekday x hour heatmap,
the calendar, date range, peak hours, busiest weekdays, topic and sentiment
evolution and message-length trends; privacy totals and counts by type.

Kept as computed on the whole corpus: per-conversation quality metrics (turns,
collaboration score...), per-conversation sentiment start/end, sessions, streaks,
change points, the engagement score, and learned topic terms. Precomputed
``results.charts`` are dropped so renderers derive charts from the filtered sections.
An empty filter returns the inputs unchanged.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, tzinfo

import msgspec

from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.messages import ExportFilter, export_filter_problem
from convoscope_common.results import (
    FAILURE_TYPES,
    SENTIMENT_LABELS,
    SEVERITIES,
    AnalysisResults,
    CalendarDay,
    ConversationTopics,
    FailureSummary,
    LengthTrend,
    PrivacyReport,
    Quality,
    Sentiment,
    SentimentPeriod,
    Summary,
    Temporal,
    Topic,
    Topics,
)
from convoscope_exporter.errors import InvalidFilterError
from convoscope_exporter.timeutil import WEEKDAYS, month_key, to_local, week_key, zone

ROLES: tuple[str, ...] = ("user", "assistant")
TASK_STATUSES: tuple[str, ...] = ("completed", "in_progress", "abandoned", "blocked")
# The analyzer lists this many peak hours and busiest weekdays.
TOP_N = 3

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
    "privacy.total",
    "privacy.counts",
    "privacy.messages_affected",
    "privacy.conversations_affected",
)
NOT_RECOMPUTED: tuple[str, ...] = (
    "quality.conversations (per-conversation metrics)",
    "sentiment.by_conversation (start/end of the whole conversation)",
    "temporal.sessions",
    "temporal.streaks",
    "temporal.change_points",
    "temporal.engagement_score",
    "topics.top_terms",
    "charts (re-derived from the filtered sections)",
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
    tz = zone(results.options.timezone)
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


# --- recomputing aggregates ------------------------------------------------------------


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens (the exporter's own recount)."""
    return len(text.split())


def _mean(values: list[float]) -> float:
    return float(statistics.fmean(values)) if values else 0.0


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def recompute_summary(corpus: Corpus, tz: tzinfo) -> Summary:
    """Every :class:`Summary` figure, recounted from ``corpus``."""
    convs = corpus.conversations
    messages = [m for c in convs for m in c.messages]
    words_per_message = [word_count(m.text) for m in messages]
    # Both roles always listed, as the analyzer does.
    words_by_role: dict[str, list[float]] = {role: [] for role in ROLES}
    for message, words in zip(messages, words_per_message, strict=True):
        words_by_role.setdefault(message.role, []).append(words)
    # As the analyzer counts them: assistant messages per model (else the conversation's).
    models: Counter[str] = Counter(
        model
        for c in convs
        for m in c.messages
        if m.role == "assistant" and (model := m.model or c.model)
    )
    days = sorted(
        to_local(moment, tz).date().isoformat()
        for c in convs
        for m in c.messages
        if (moment := _message_time(m, c))
    )
    per_conv = [float(len(c.messages)) for c in convs]
    return Summary(
        conversations=len(convs),
        empty_conversations=sum(1 for c in convs if not c.messages),
        messages=len(messages),
        messages_by_role={r: len(v) for r, v in words_by_role.items()},
        words=sum(words_per_message),
        characters=sum(len(m.text) for m in messages),
        words_by_role={r: int(sum(v)) for r, v in words_by_role.items()},
        mean_messages_per_conversation=_mean(per_conv),
        median_messages_per_conversation=_median(per_conv),
        mean_words_per_message=_mean([float(w) for w in words_per_message]),
        median_words_per_message=_median([float(w) for w in words_per_message]),
        mean_words_by_role={r: _mean(v) for r, v in words_by_role.items()},
        median_words_by_role={r: _median(v) for r, v in words_by_role.items()},
        models=dict(sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))),
        thinking_blocks=sum(len(m.thinking) for m in messages),
        tool_uses=sum(len(m.tool_uses) for m in messages),
        tool_errors=sum(1 for m in messages for r in m.tool_results if r.is_error),
        attachments=sum(len(m.attachments) for m in messages),
        files=sum(len(m.files) for m in messages),
        citations=sum(len(m.citations) for m in messages),
        abandoned_branches=sum(c.abandoned_branches for c in convs),
        abandoned_messages=sum(c.abandoned_messages for c in convs),
        hidden_messages=sum(c.hidden_messages for c in convs),
        date_range=[days[0], days[-1]] if days else [],
        empty_conversation_ids=[c.id for c in convs if not c.messages],
    )


def _message_time(message: Message, conv: Conversation) -> datetime | None:
    """When a message was sent; like the analyzer, falls back to its conversation's start."""
    return message.created_at or conv.created_at


def _conversation_month(conv: Conversation, tz: tzinfo) -> str | None:
    moment = conv.created_at or next((m.created_at for m in conv.messages if m.created_at), None)
    return month_key(to_local(moment, tz)) if moment else None


def _restrict_topic(
    topic: Topic, kept: set[str], analysed: int, months: dict[str, str | None]
) -> Topic:
    ids = [cid for cid in topic.conversation_ids if cid in kept]
    monthly: Counter[str] = Counter(m for cid in ids if (m := months.get(cid)))
    # As in the analyzer: the share of conversations with messages (empty ones have no topic).
    share = len(ids) / analysed if analysed else 0.0
    return msgspec.structs.replace(
        topic, conversation_ids=ids, conversations=len(ids), share=share, monthly=dict(monthly)
    )


def restrict_topics(topics: Topics, corpus: Corpus, tz: tzinfo) -> Topics:
    """Topics limited to the conversations of ``corpus``, counts and shares recomputed."""
    kept = {c.id for c in corpus.conversations}
    months = {c.id: _conversation_month(c, tz) for c in corpus.conversations}
    assignments: list[ConversationTopics] = [
        a for a in topics.assignments if a.conversation_id in kept
    ]
    analysed = sum(1 for c in corpus.conversations if c.messages)
    return Topics(
        taxonomy=[_restrict_topic(t, kept, analysed, months) for t in topics.taxonomy],
        learned=[_restrict_topic(t, kept, analysed, months) for t in topics.learned],
        assignments=assignments,
    )


def _message_times(corpus: Corpus, tz: tzinfo) -> dict[str, datetime]:
    return {
        m.id: to_local(moment, tz)
        for c in corpus.conversations
        for m in c.messages
        if (moment := _message_time(m, c))
    }


def restrict_sentiment(sentiment: Sentiment, corpus: Corpus, tz: tzinfo) -> Sentiment:
    """Sentiment limited to the kept messages; totals and monthly means recomputed."""
    kept_messages = {m.id for c in corpus.conversations for m in c.messages}
    kept_convs = {c.id for c in corpus.conversations}
    times = _message_times(corpus, tz)
    by_message = [s for s in sentiment.by_message if s.message_id in kept_messages]
    labels: Counter[str] = Counter(s.label for s in by_message)
    flags = {
        "urgent": sum(s.urgent for s in by_message),
        "questioning": sum(s.questioning for s in by_message),
        "collaborative": sum(s.collaborative for s in by_message),
    }
    per_month: dict[str, list[float]] = defaultdict(list)
    per_month_labels: dict[str, Counter[str]] = defaultdict(Counter)
    for score in by_message:
        moment = times.get(score.message_id)
        if moment is None:
            continue
        per_month[month_key(moment)].append(score.compound)
        per_month_labels[month_key(moment)][score.label] += 1
    monthly = [
        SentimentPeriod(
            period=period,
            mean_compound=_mean(values),
            messages=len(values),
            labels=dict(per_month_labels[period]),
        )
        for period, values in sorted(per_month.items())
    ]
    return msgspec.structs.replace(
        sentiment,
        messages=len(by_message),
        mean_compound=_mean([s.compound for s in by_message]),
        labels={label: labels.get(label, 0) for label in SENTIMENT_LABELS},
        flags=flags,
        monthly=monthly,
        by_message=by_message,
        by_conversation=[c for c in sentiment.by_conversation if c.conversation_id in kept_convs],
    )


def restrict_failures(failures: FailureSummary, corpus: Corpus) -> FailureSummary:
    """Findings on kept messages, with every count and the rate recomputed."""
    kept = {m.id for c in corpus.conversations for m in c.messages}
    findings = [f for f in failures.findings if f.message_id in kept]
    assistant = sum(1 for c in corpus.conversations for m in c.messages if m.role == "assistant")
    with_failure = len({f.message_id for f in findings})
    # Every type and severity listed, zeros included, as the analyzer does.
    by_type_and_severity = {t: dict.fromkeys(SEVERITIES, 0) for t in FAILURE_TYPES}
    for finding in findings:
        by_type_and_severity.setdefault(finding.type, dict.fromkeys(SEVERITIES, 0))
        by_type_and_severity[finding.type][finding.severity] += 1
    by_type = Counter(f.type for f in findings)
    by_severity = Counter(f.severity for f in findings)
    return FailureSummary(
        total=len(findings),
        assistant_messages=assistant,
        assistant_messages_with_failure=with_failure,
        failure_rate=round(with_failure / assistant, 4) if assistant else 0.0,
        by_type={t: by_type.get(t, 0) for t in (*FAILURE_TYPES, *sorted(by_type))},
        by_severity={s: by_severity.get(s, 0) for s in SEVERITIES},
        by_type_and_severity=by_type_and_severity,
        findings=findings,
    )


def restrict_quality(quality: Quality, corpus: Corpus) -> Quality:
    """Quality limited to kept conversations; task counts, means and failures recomputed."""
    kept = {c.id for c in corpus.conversations}
    convs = [q for q in quality.conversations if q.conversation_id in kept]
    completion = Counter(q.task_completion for q in convs)
    effectiveness = [
        q.response_effectiveness for q in convs if q.response_effectiveness is not None
    ]
    return Quality(
        conversations=convs,
        task_completion={s: completion.get(s, 0) for s in (*TASK_STATUSES, *sorted(completion))},
        mean_collaboration_score=_mean([q.collaboration_score for q in convs]),
        mean_response_effectiveness=_mean(effectiveness) if effectiveness else None,
        failures=restrict_failures(quality.failures, corpus),
    )


def restrict_temporal(
    temporal: Temporal,
    corpus: Corpus,
    topics: Topics | None,
    sentiment: Sentiment | None,
    tz: tzinfo,
) -> Temporal:
    """Temporal activity recounted from the kept messages (message counts per bucket)."""
    daily: Counter[str] = Counter()
    weekly: Counter[str] = Counter()
    monthly: Counter[str] = Counter()
    heatmap = [[0] * 24 for _ in range(7)]
    day_convs: dict[str, set[str]] = defaultdict(set)
    length: dict[tuple[str, str], list[float]] = defaultdict(list)
    for conv in corpus.conversations:
        for message in conv.messages:
            moment = _message_time(message, conv)
            if moment is None:
                continue
            local = to_local(moment, tz)
            day = local.date().isoformat()
            daily[day] += 1
            weekly[week_key(local)] += 1
            monthly[month_key(local)] += 1
            heatmap[local.weekday()][local.hour] += 1
            day_convs[day].add(conv.id)
            length[(month_key(local), message.role)].append(word_count(message.text))
    hours = [sum(heatmap[d][h] for d in range(7)) for h in range(24)]
    weekdays = [sum(row) for row in heatmap]
    days = sorted(daily)
    # Month -> topic id -> conversations, the analyzer's shape.
    evolution: dict[str, dict[str, int]] = defaultdict(dict)
    if topics is not None:
        for topic in [*topics.taxonomy, *topics.learned]:
            for month, count in topic.monthly.items():
                evolution[month][topic.id] = count
    topic_evolution = {m: dict(sorted(t.items())) for m, t in sorted(evolution.items())}
    sentiment_evolution = (
        {p.period: p.mean_compound for p in sentiment.monthly} if sentiment is not None else {}
    )
    return msgspec.structs.replace(
        temporal,
        date_range=[days[0], days[-1]] if days else [],
        daily=dict(sorted(daily.items())),
        weekly=dict(sorted(weekly.items())),
        monthly=dict(sorted(monthly.items())),
        heatmap=heatmap,
        calendar=[
            CalendarDay(date=d, messages=daily[d], conversations=len(day_convs[d])) for d in days
        ],
        # The analyzer's ranking: most active first, ties in clock/week order, top 3.
        peak_hours=[h for h in sorted(range(24), key=lambda h: (-hours[h], h)) if hours[h]][:TOP_N],
        busiest_weekdays=[
            WEEKDAYS[d] for d in sorted(range(7), key=lambda d: (-weekdays[d], d)) if weekdays[d]
        ][:TOP_N],
        topic_evolution=topic_evolution,
        sentiment_evolution=sentiment_evolution,
        length_trends=[
            LengthTrend(
                period=period, role=role, mean_words=round(_mean(values), 2), messages=len(values)
            )
            for (period, role), values in sorted(length.items())
        ],
    )


def restrict_privacy(privacy: PrivacyReport, corpus: Corpus) -> PrivacyReport:
    """Privacy findings on kept messages (title findings on kept conversations), recounted."""
    kept_messages = {m.id for c in corpus.conversations for m in c.messages}
    kept_convs = {c.id for c in corpus.conversations}
    findings = [
        f
        for f in privacy.findings
        if f.message_id in kept_messages or (f.field == "title" and f.conversation_id in kept_convs)
    ]
    return msgspec.structs.replace(
        privacy,
        total=len(findings),
        counts=dict(Counter(f.entity_type for f in findings)),
        messages_affected=len({f.message_id for f in findings if f.field != "title"}),
        conversations_affected=len({f.conversation_id for f in findings}),
        findings=findings,
    )


def apply_filter(
    results: AnalysisResults, corpus: Corpus, flt: ExportFilter
) -> tuple[AnalysisResults, Corpus]:
    """Filter the corpus and bring the results in line with it (module docstring has the rules)."""
    if flt.is_empty():
        return results, corpus
    tz = zone(results.options.timezone)
    filtered = filter_corpus(corpus, results, flt)
    topics = restrict_topics(results.topics, filtered, tz) if results.topics else None
    sentiment = restrict_sentiment(results.sentiment, filtered, tz) if results.sentiment else None
    quality = restrict_quality(results.quality, filtered) if results.quality else None
    temporal = (
        restrict_temporal(results.temporal, filtered, topics, sentiment, tz)
        if results.temporal
        else None
    )
    privacy = restrict_privacy(results.privacy, filtered) if results.privacy else None
    restricted = msgspec.structs.replace(
        results,
        summary=recompute_summary(filtered, tz),
        topics=topics,
        sentiment=sentiment,
        quality=quality,
        temporal=temporal,
        privacy=privacy,
        charts=[],
    )
    return restricted, filtered
