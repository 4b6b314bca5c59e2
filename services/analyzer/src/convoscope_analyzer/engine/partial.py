"""One shard of an analysis: a run of conversations into a mergeable :class:`ShardPartial`.

The expensive work per message and per conversation (language detection, sentiment,
failures, quality, topic scoring) happens here; what comes out is rows and counts, no
totals, so :func:`~convoscope_analyzer.engine.merge.merge_partials` can add up the
partials of all shards into the results one process would compute.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from convoscope_analyzer.engine.cue_scan import Scan
from convoscope_analyzer.engine.cues import CueBook
from convoscope_analyzer.engine.encoded_index import encode_index
from convoscope_analyzer.engine.failures import analyze_failures
from convoscope_analyzer.engine.language import assign_languages
from convoscope_analyzer.engine.language_summary import LanguageRows, count_languages
from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.plan import AnalysisPlan, ShardPlan
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.quality import analyze_quality
from convoscope_analyzer.engine.sentiment import SentimentRows, score_messages
from convoscope_analyzer.engine.taxonomy import default_taxonomy
from convoscope_analyzer.engine.topics import TopicRows, topic_rows
from convoscope_common.aggregates.comparison import ComparisonTally, tally_comparison
from convoscope_common.aggregates.summary import SummaryCounts, count_summary, message_records
from convoscope_common.aggregates.temporal import TemporalCounts, count_temporal
from convoscope_common.aggregates.usage import tally_usage
from convoscope_common.comparison_types import UsageCell
from convoscope_common.corpus import Conversation, Corpus
from convoscope_common.results import ConversationQuality, Failure

STEP_PREPARE = "Parsing conversations"
STEP_LANGUAGES = "Detecting languages"
STEP_SUMMARY = "Computing summary"
STEP_TOPICS = "Classifying topics"
STEP_SENTIMENT = "Analyzing sentiment"
STEP_FAILURES = "Detecting assistant failures"
STEP_QUALITY = "Assessing conversation quality"
STEP_TEMPORAL = "Analyzing activity over time"


class ShardPartial(msgspec.Struct, kw_only=True):
    """What one shard yields: rows and counts of its conversations, in corpus order."""

    start: int  # position of the shard's first conversation in the corpus
    end: int
    summary: SummaryCounts
    languages: LanguageRows
    topics: TopicRows
    sentiment: SentimentRows
    months: list[tuple[str, str | None]]  # (conversation id, month) of every conversation
    assistant_messages: int = 0
    failures: list[Failure] = []
    quality: list[ConversationQuality] | None = None
    temporal: TemporalCounts | None = None
    comparison: dict[str, ComparisonTally] = {}
    usage: dict[str, UsageCell] = {}
    # The shard's message index in encoded blocks (each a list[MessageRecord]):
    # engine/encoded_index.py.
    message_index: list[msgspec.Raw] = []


def analyze_shard(
    corpus: Corpus,
    conversations: Sequence[Conversation],
    start: int,
    plan: AnalysisPlan | ShardPlan,
    options: EngineOptions,
    tracker: ProgressTracker,
    own_languages: list[str] | None = None,
) -> ShardPartial:
    """Analyse ``conversations`` (``corpus.conversations[start:start + n]``) under ``plan``.

    A :class:`ShardPlan` (no topic models) is all a shard needs to start: its
    learned-topic rows are then deferred (``TopicRows.deferred``) and read once the
    models are fitted (``topics.apply_learned``, or the merge).

    ``tracker`` runs the steps (progress, checkpoints; what it raises propagates).
    ``own_languages``, when given, receives each conversation's own language (before the
    plan's fallback): what an incremental analysis keeps.
    Raises :class:`InvalidTimezoneError` for an unknown ``options.timezone``.
    """
    zone = resolve_timezone(options.timezone)
    taxonomy = options.taxonomy or default_taxonomy()
    part = msgspec.structs.replace(corpus, conversations=list(conversations))
    total_messages = sum(len(c.messages) for c in conversations)

    tracker.start_step(STEP_PREPARE, len(conversations), "conversations")
    prepared = prepare_corpus(part, zone, tracker.tick)
    tracker.end_step()

    tracker.start_step(STEP_LANGUAGES, total_messages)
    stats = assign_languages(prepared, tracker.tick, fallback=plan.fallback_language)
    if own_languages is not None:
        own_languages.extend(stats.own)
    tracker.end_step()

    tracker.start_step(STEP_SUMMARY, total_messages)
    summary = count_summary(prepared)
    languages = count_languages(prepared, stats)
    tracker.end_step()

    tracker.start_step(STEP_TOPICS, len(prepared), "conversations")
    topics = topic_rows(prepared, taxonomy, plan.learned, tracker, start)
    tracker.end_step()

    tracker.start_step(STEP_SENTIMENT, total_messages)
    # The user messages' heads scanned for the sentiment, read again by the failures.
    scans: dict[int, tuple[CueBook, Scan]] | None = {} if options.enable_quality else None
    sentiment = score_messages(prepared, tracker, None, scans)
    tracker.end_step()

    partial = ShardPartial(
        start=start,
        end=start + len(conversations),
        summary=summary,
        languages=languages,
        topics=topics,
        sentiment=sentiment,
        months=[(item.id, item.month) for item in prepared],
    )
    if options.enable_quality:
        tracker.start_step(STEP_FAILURES, total_messages)
        failures = analyze_failures(prepared, tracker, scans)
        scans = None  # (freed: the quality step does not read them)
        tracker.end_step()
        tracker.start_step(STEP_QUALITY, total_messages)
        quality = analyze_quality(prepared, failures, sentiment.by_message, tracker)
        tracker.end_step()
        partial.assistant_messages = failures.assistant_messages
        partial.failures = failures.findings
        partial.quality = quality.conversations

    if options.enable_temporal:
        tracker.start_step(STEP_TEMPORAL, total_messages)
        partial.temporal = count_temporal(prepared, tracker.tick)
        tracker.end_step()
    partial.comparison = tally_comparison(
        prepared,
        sentiment.by_message,
        partial.failures if options.enable_quality else None,
        partial.quality,
    )
    partial.usage = tally_usage(prepared)
    # Built last, in the memory the steps' temporary structures left free.
    partial.message_index = encode_index(message_records(prepared))
    return partial
