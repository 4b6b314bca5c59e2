"""Section totals computed from per-item results: sentiment, failures, quality, topics, privacy.

The engine builds the per-item lists (a score per user message, a finding per failure,
a quality per conversation, the conversations of a topic, a privacy finding per field);
the totals, means, rates and monthly series over those lists are computed here, so the
exporter, restricting the lists to a filtered corpus, recomputes them identically.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from convoscope_common.results import (
    FAILURE_TYPES,
    SEVERITIES,
    ConversationQuality,
    ConversationSentiment,
    Failure,
    FailureSummary,
    MessageSentiment,
    PrivacyFinding,
    Quality,
    SentimentLabel,
    SentimentPeriod,
    Topic,
)

# VADER's own neutral band is +-0.05; +-0.5 separates the "very" labels.
VERY_THRESHOLD = 0.5
NEUTRAL_THRESHOLD = 0.05
LABEL_ORDER: tuple[SentimentLabel, ...] = (
    "Very Positive",
    "Positive",
    "Neutral",
    "Negative",
    "Very Negative",
)
FLAGS: tuple[str, ...] = ("urgent", "questioning", "collaborative")
TASK_STATUSES: tuple[str, ...] = ("completed", "in_progress", "abandoned", "blocked")


def label_for(compound: float) -> SentimentLabel:
    """The seed's label for a VADER compound score."""
    if compound >= VERY_THRESHOLD:
        return "Very Positive"
    if compound >= NEUTRAL_THRESHOLD:
        return "Positive"
    if compound > -NEUTRAL_THRESHOLD:
        return "Neutral"
    if compound > -VERY_THRESHOLD:
        return "Negative"
    return "Very Negative"


def _mean4(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4)


class SentimentTotals(msgspec.Struct, kw_only=True):
    """The corpus-wide part of :class:`~convoscope_common.results.Sentiment`."""

    messages: int
    mean_compound: float
    labels: dict[str, int]
    flags: dict[str, int]
    monthly: list[SentimentPeriod]
    by_conversation: list[ConversationSentiment]


def sentiment_totals(
    by_message: Sequence[MessageSentiment], months: Sequence[str | None]
) -> SentimentTotals:
    """Totals of the scored messages (in corpus order); ``months[i]`` is message i's month.

    A conversation's start and end are its first and last scored message, its label
    that of their mean; messages without a time count everywhere but in ``monthly``.
    """
    labels: Counter[str] = Counter(s.label for s in by_message)
    flags = {
        "urgent": sum(s.urgent for s in by_message),
        "questioning": sum(s.questioning for s in by_message),
        "collaborative": sum(s.collaborative for s in by_message),
    }
    monthly_scores: dict[str, list[float]] = defaultdict(list)
    monthly_labels: dict[str, Counter[str]] = defaultdict(Counter)
    for score, month in zip(by_message, months, strict=True):
        if month is not None:
            monthly_scores[month].append(score.compound)
            monthly_labels[month][score.label] += 1
    return SentimentTotals(
        messages=len(by_message),
        mean_compound=_mean4([s.compound for s in by_message]) if by_message else 0.0,
        labels={label: labels.get(label, 0) for label in LABEL_ORDER},
        flags={name: flags.get(name, 0) for name in FLAGS},
        monthly=[
            SentimentPeriod(
                period=month,
                mean_compound=_mean4(values),
                messages=len(values),
                labels=dict(monthly_labels[month]),
            )
            for month, values in sorted(monthly_scores.items())
        ],
        by_conversation=_by_conversation(by_message),
    )


def _by_conversation(by_message: Sequence[MessageSentiment]) -> list[ConversationSentiment]:
    # Runs of one conversation's scores: the messages come in corpus order.
    runs: list[list[MessageSentiment]] = []
    for score in by_message:
        if runs and runs[-1][0].conversation_id == score.conversation_id:
            runs[-1].append(score)
        else:
            runs.append([score])
    return [
        ConversationSentiment(
            conversation_id=run[0].conversation_id,
            start=run[0].compound,
            end=run[-1].compound,
            delta=round(run[-1].compound - run[0].compound, 4),
            label=label_for(sum(s.compound for s in run) / len(run)),
        )
        for run in runs
    ]


def monthly_means(monthly: Iterable[SentimentPeriod]) -> dict[str, float]:
    """Month -> mean compound (the temporal section's sentiment evolution)."""
    return {p.period: p.mean_compound for p in monthly}


def failure_summary(findings: list[Failure], assistant_messages: int) -> FailureSummary:
    """All findings plus counts; failure rate = assistant messages with a finding / all."""
    with_failure = len({(f.conversation_id, f.message_id) for f in findings})
    # Counted as plain strings: the constant tuples list the Literal types' values.
    by_type: Counter[str] = Counter(f.type for f in findings)
    by_severity: Counter[str] = Counter(f.severity for f in findings)
    # Every type and severity listed, zeros included.
    matrix: dict[str, dict[str, int]] = {t: dict.fromkeys(SEVERITIES, 0) for t in FAILURE_TYPES}
    for finding in findings:
        matrix[finding.type][finding.severity] += 1
    return FailureSummary(
        total=len(findings),
        assistant_messages=assistant_messages,
        assistant_messages_with_failure=with_failure,
        failure_rate=round(with_failure / assistant_messages, 4) if assistant_messages else 0.0,
        by_type={t: by_type.get(t, 0) for t in FAILURE_TYPES},
        by_severity={s: by_severity.get(s, 0) for s in SEVERITIES},
        by_type_and_severity=matrix,
        findings=findings,
    )


def quality_summary(conversations: list[ConversationQuality], failures: FailureSummary) -> Quality:
    """Task-completion counts and the corpus-wide means over per-conversation qualities."""
    completion: Counter[str] = Counter(q.task_completion for q in conversations)
    effectiveness = [
        q.response_effectiveness for q in conversations if q.response_effectiveness is not None
    ]
    return Quality(
        conversations=conversations,
        task_completion={k: completion.get(k, 0) for k in TASK_STATUSES},
        mean_collaboration_score=(
            _mean4([q.collaboration_score for q in conversations]) if conversations else 0.0
        ),
        mean_response_effectiveness=_mean4(effectiveness) if effectiveness else None,
        failures=failures,
    )


def topic_share(conversations: int, analysed: int) -> float:
    """Share of the analysed (non-empty) conversations, 4 decimals."""
    return round(conversations / analysed, 4) if analysed else 0.0


def topic_monthly(ids: Iterable[str], months: Mapping[str, str | None]) -> dict[str, int]:
    """Month -> conversations among ``ids`` (by each conversation's first activity)."""
    monthly = Counter(month for cid in ids if (month := months.get(cid)))
    return dict(sorted(monthly.items()))


def restrict_topic(
    topic: Topic, kept: set[str], analysed: int, months: Mapping[str, str | None]
) -> Topic:
    """``topic`` limited to the ``kept`` conversations, counts, share and months recounted."""
    ids = [cid for cid in topic.conversation_ids if cid in kept]
    return msgspec.structs.replace(
        topic,
        conversation_ids=ids,
        conversations=len(ids),
        share=topic_share(len(ids), analysed),
        monthly=topic_monthly(ids, months),
    )


class PrivacyTotals(msgspec.Struct, kw_only=True):
    """The counts of a :class:`~convoscope_common.results.PrivacyReport`."""

    total: int
    counts: dict[str, int]
    messages_affected: int
    conversations_affected: int


def privacy_totals(findings: Iterable[PrivacyFinding]) -> PrivacyTotals:
    """Values found (by type), and the messages and conversations they were found in.

    Title findings have no message and project findings no conversation either.
    """
    counts: Counter[str] = Counter()
    messages: set[tuple[str, str]] = set()
    conversations: set[str] = set()
    for finding in findings:
        counts[finding.entity_type] += finding.count
        if finding.message_id:
            messages.add((finding.conversation_id, finding.message_id))
        if finding.conversation_id:
            conversations.add(finding.conversation_id)
    return PrivacyTotals(
        total=sum(counts.values()),
        counts=dict(sorted(counts.items())),
        messages_affected=len(messages),
        conversations_affected=len(conversations),
    )
