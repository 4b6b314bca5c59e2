"""``analyze``: the whole engine run, step by step, with progress and checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from convoscope_analyzer.engine.charts import build_charts
from convoscope_analyzer.engine.cues import profanity_words
from convoscope_analyzer.engine.failures import analyze_failures
from convoscope_analyzer.engine.language import assign_languages
from convoscope_analyzer.engine.language import warm_up as _warm_up_language
from convoscope_analyzer.engine.language_summary import summarize_languages
from convoscope_analyzer.engine.options import Checkpoint, EngineOptions, ProgressCallback
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.quality import analyze_quality
from convoscope_analyzer.engine.sentiment import analyze_sentiment, default_model
from convoscope_analyzer.engine.taxonomy import default_taxonomy, taxonomy_languages
from convoscope_analyzer.engine.temporal import analyze_temporal
from convoscope_analyzer.engine.topics import analyze_topics
from convoscope_analyzer.engine.topics import warm_up as _warm_up_topics
from convoscope_common.aggregates.comparison import compare
from convoscope_common.aggregates.summary import message_index, summarize
from convoscope_common.aggregates.usage import estimate_usage
from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisOptionsUsed, AnalysisResults

STEP_PREPARE = "Parsing conversations"
STEP_LANGUAGES = "Detecting languages"
STEP_SUMMARY = "Computing summary"
STEP_TOPICS = "Classifying topics"
STEP_SENTIMENT = "Analyzing sentiment"
STEP_FAILURES = "Detecting assistant failures"
STEP_QUALITY = "Assessing conversation quality"
STEP_TEMPORAL = "Analyzing activity over time"
STEP_CHARTS = "Building charts"

# Relative cost of each step (measured on the benchmark corpus), for the progress bar.
STEP_WEIGHTS = {
    STEP_PREPARE: 6.0,
    STEP_LANGUAGES: 8.0,
    STEP_SUMMARY: 3.0,
    STEP_TOPICS: 25.0,
    STEP_SENTIMENT: 23.0,
    STEP_FAILURES: 25.0,
    STEP_QUALITY: 13.0,
    STEP_TEMPORAL: 4.0,
    STEP_CHARTS: 1.0,
}


def warm_up() -> None:
    """Load the heavy parts (scikit-learn, VADER lexicon, cue files and the profanity
    list, default taxonomy) once at worker start, so the first job's progress is not
    stuck on imports."""
    _warm_up_topics()
    _warm_up_language()
    default_model()
    profanity_words()
    default_taxonomy()


def analyze(
    corpus: Corpus,
    options: EngineOptions,
    *,
    progress: ProgressCallback | None = None,
    checkpoint: Checkpoint | None = None,
    now: datetime | None = None,
) -> AnalysisResults:
    """Analyse a (redacted) corpus into typed results.

    ``progress`` receives monotonic updates at least once per second of work
    and at every step; ``checkpoint`` is called between steps and every few
    hundred messages, and whatever it raises propagates (cancellation).
    ``results.privacy`` is left None (the worker attaches the privacy report).
    Raises :class:`InvalidTimezoneError` for an unknown ``options.timezone``.
    """
    zone = resolve_timezone(options.timezone)
    taxonomy = options.taxonomy or default_taxonomy()
    weights = dict(STEP_WEIGHTS)
    if not options.enable_quality:
        del weights[STEP_FAILURES], weights[STEP_QUALITY]
    if not options.enable_temporal:
        del weights[STEP_TEMPORAL]
    if not options.enable_visualizations:
        del weights[STEP_CHARTS]
    tracker = ProgressTracker(weights, progress, checkpoint)
    total_messages = sum(len(c.messages) for c in corpus.conversations)

    tracker.start_step(STEP_PREPARE, len(corpus.conversations), "conversations")
    prepared = prepare_corpus(corpus, zone, tracker.tick)
    tracker.end_step()

    tracker.start_step(STEP_LANGUAGES, total_messages)
    language_stats = assign_languages(prepared, tracker.tick)
    tracker.end_step()

    tracker.start_step(STEP_SUMMARY, total_messages)
    summary = summarize(prepared)
    tracker.insight(
        f"Read {summary.messages:,} messages in {summary.conversations:,} conversations"
    )
    tracker.end_step()

    tracker.start_step(STEP_TOPICS, len(prepared), "conversations")
    topics = analyze_topics(prepared, taxonomy, tracker)
    found = sum(1 for t in topics.taxonomy if t.conversations) + len(topics.learned)
    tracker.insight(f"Found {found} different topics")
    tracker.end_step()

    tracker.start_step(STEP_SENTIMENT, total_messages)
    sentiment = analyze_sentiment(prepared, tracker)
    negative = sentiment.labels.get("Negative", 0) + sentiment.labels.get("Very Negative", 0)
    tracker.insight(f"Scored {sentiment.messages:,} user messages ({negative:,} negative)")
    tracker.end_step()

    quality = None
    if options.enable_quality:
        tracker.start_step(STEP_FAILURES, total_messages)
        failures = analyze_failures(prepared, tracker)
        tracker.insight(f"Detected {failures.total:,} assistant failures")
        tracker.end_step()
        tracker.start_step(STEP_QUALITY, total_messages)
        quality = analyze_quality(prepared, failures, sentiment.by_message, tracker)
        tracker.end_step()

    temporal = None
    if options.enable_temporal:
        tracker.start_step(STEP_TEMPORAL, total_messages)
        temporal = analyze_temporal(
            prepared,
            options.timezone,
            tracker,
            assignments=topics.assignments,
            sentiment_monthly={p.period: p.mean_compound for p in sentiment.monthly},
            session_gap_minutes=options.session_gap_minutes,
        )
        if temporal.streaks.longest_days > 1:
            tracker.insight(f"Longest streak: {temporal.streaks.longest_days} days")
        tracker.end_step()

    charts = []
    if options.enable_visualizations:
        tracker.start_step(STEP_CHARTS, 1, "charts")
        lengths = [len(c.messages) for c in prepared]
        charts = build_charts(summary, lengths, topics, sentiment, quality, temporal)
        tracker.end_step()

    comparison = compare(
        prepared,
        sentiment.by_message,
        quality.failures.findings if quality is not None else None,
        quality.conversations if quality is not None else None,
        temporal.change_points if temporal is not None else None,
    )
    usage = estimate_usage(prepared, options.prices)

    languages = summarize_languages(
        prepared, language_stats, sentiment, taxonomy_languages(taxonomy)
    )
    covered = ", ".join(languages.messages) or "none"
    tracker.insight(f"Languages: {covered}")
    # Built last, in the memory the steps' temporary structures left free.
    index = message_index(prepared)
    results = AnalysisResults(
        generated_at=now or datetime.now(UTC),
        # The one place the options used are built; enable_privacy is the analyzer
        # pipeline's to set (it redacts before the engine runs).
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
        message_index=index,
    )
    tracker.finish()
    return results
