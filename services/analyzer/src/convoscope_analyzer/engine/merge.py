"""Shard partials into results: the totals, means, rankings and charts of the whole corpus.

Lists are concatenated in corpus order (the message index without being decoded:
engine/encoded_index.py) and counts added, then the same section functions
one process uses compute the figures, in the same order of summation, so the merged
results are identical to an analysis of the corpus in one piece.
"""

from __future__ import annotations

from datetime import UTC, datetime

from convoscope_analyzer.engine.charts import build_charts
from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.engine.errors import EngineError
from convoscope_analyzer.engine.language_summary import languages_from_rows
from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.plan import AnalysisPlan
from convoscope_analyzer.engine.sentiment import sentiment_from_rows
from convoscope_analyzer.engine.taxonomy import default_taxonomy, taxonomy_languages
from convoscope_analyzer.engine.topics import apply_learned, topics_from_rows
from convoscope_common.aggregates.comparison import comparison_from_tallies, merge_tallies
from convoscope_common.aggregates.sections import failure_summary, quality_summary
from convoscope_common.aggregates.summary import merge_summary_counts, summary_from_counts
from convoscope_common.aggregates.temporal import (
    evolution_by_month,
    merge_temporal_counts,
    temporal_from_counts,
)
from convoscope_common.aggregates.usage import merge_usage, usage_from_cells
from convoscope_common.results import AnalysisOptionsUsed, AnalysisResults, Quality, Temporal


class ShardsIncompleteError(EngineError):
    """The partials do not cover the corpus exactly once (a shard missing or repeated)."""


def check_coverage(parts: list[ShardPartial], conversations: int) -> list[ShardPartial]:
    """``parts`` ordered by position; raises :class:`ShardsIncompleteError` unless they
    cover conversations 0..``conversations`` without gap or overlap."""
    ordered = sorted(parts, key=lambda p: p.start)
    position = 0
    for part in ordered:
        if part.start != position or part.end < part.start:
            raise ShardsIncompleteError(
                f"shards do not cover the corpus: expected a shard at {position}, "
                f"got {part.start}..{part.end}"
            )
        position = part.end
    if position != conversations:
        raise ShardsIncompleteError(f"shards cover {position} of {conversations} conversations")
    return ordered


def merge_partials(
    parts: list[ShardPartial],
    plan: AnalysisPlan,
    options: EngineOptions,
    *,
    conversations: int,
    now: datetime | None = None,
) -> AnalysisResults:
    """The results of the corpus whose ``conversations`` the ``parts`` cover (any order).

    Learned-topic rows a shard deferred are read here with ``plan.learned`` (a caller may
    have done so as the partials arrived). ``results.privacy`` is left None (the worker
    attaches the privacy report).
    """
    results, index = merge_encoded(parts, plan, options, conversations=conversations, now=now)
    results.message_index = index.records()
    return results


def merge_encoded(
    parts: list[ShardPartial],
    plan: AnalysisPlan,
    options: EngineOptions,
    *,
    conversations: int,
    now: datetime | None = None,
) -> tuple[AnalysisResults, JoinedIndex]:
    """:func:`merge_partials` with the message index left encoded: the results without
    it (``message_index`` empty), and the index joined from the parts' blocks."""
    parts = check_coverage(parts, conversations)
    taxonomy = options.taxonomy or default_taxonomy()
    counts = merge_summary_counts([p.summary for p in parts])
    summary = summary_from_counts(counts)
    for part in parts:
        apply_learned(part.topics, plan.learned)
    topics = topics_from_rows([p.topics for p in parts], taxonomy, plan.learned)
    sentiment = sentiment_from_rows([p.sentiment for p in parts])

    quality: Quality | None = None
    if options.enable_quality:
        failures = failure_summary(
            [f for p in parts for f in p.failures], sum(p.assistant_messages for p in parts)
        )
        quality = quality_summary([q for p in parts for q in p.quality or []], failures)

    temporal: Temporal | None = None
    if options.enable_temporal:
        months = {cid: month for p in parts for cid, month in p.months}
        temporal = temporal_from_counts(
            merge_temporal_counts([p.temporal for p in parts if p.temporal is not None]),
            options.timezone,
            evolution=evolution_by_month(months, topics.assignments),
            sentiment_monthly={p.period: p.mean_compound for p in sentiment.monthly},
            session_gap_minutes=options.session_gap_minutes,
        )

    charts = []
    if options.enable_visualizations:
        charts = build_charts(
            summary, counts.per_conversation, topics, sentiment, quality, temporal
        )
    comparison = comparison_from_tallies(
        merge_tallies([p.comparison for p in parts]),
        options.enable_quality,
        temporal.change_points if temporal is not None else None,
    )
    usage = usage_from_cells(merge_usage([p.usage for p in parts]), options.prices)
    languages = languages_from_rows(
        [p.languages for p in parts], sentiment, taxonomy_languages(taxonomy)
    )
    results = AnalysisResults(
        generated_at=now or datetime.now(UTC),
        options=AnalysisOptionsUsed(
            enable_privacy=False,
            enable_quality=options.enable_quality,
            enable_temporal=options.enable_temporal,
            enable_visualizations=options.enable_visualizations,
            timezone=options.timezone,
        ),
        summary=summary,
        languages=languages,
        topics=topics,
        sentiment=sentiment,
        quality=quality,
        temporal=temporal,
        charts=charts,
        comparison=comparison,
        usage=usage,
    )
    return results, JoinedIndex([block for p in parts for block in p.message_index])
