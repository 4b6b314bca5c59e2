"""``analyze``: the whole engine run, step by step, with progress and checkpoints."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from convoscope_analyzer.engine.cues import profanity_words
from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.engine.language import warm_up as _warm_up_language
from convoscope_analyzer.engine.merge import merge_encoded
from convoscope_analyzer.engine.options import Checkpoint, EngineOptions, ProgressCallback
from convoscope_analyzer.engine.partial import (
    STEP_FAILURES,
    STEP_LANGUAGES,
    STEP_PREPARE,
    STEP_QUALITY,
    STEP_SENTIMENT,
    STEP_SUMMARY,
    STEP_TEMPORAL,
    STEP_TOPICS,
    ShardPartial,
    analyze_shard,
)
from convoscope_analyzer.engine.plan import (
    AnalysisPlan,
    SampleReader,
    ShardPlan,
    make_plan,
    plan_sample,
)
from convoscope_analyzer.engine.prepared import resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.sentiment import default_model
from convoscope_analyzer.engine.taxonomy import default_taxonomy
from convoscope_analyzer.engine.topic_models import TopicModels
from convoscope_analyzer.engine.topics import warm_up as _warm_up_topics
from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults

STEP_PLAN = "Sampling the corpus"
STEP_CHARTS = "Building charts"

# Relative cost of each step (measured on the benchmark corpus), for the progress bar.
STEP_WEIGHTS = {
    STEP_PLAN: 3.0,
    STEP_PREPARE: 6.0,
    STEP_LANGUAGES: 8.0,
    STEP_SUMMARY: 3.0,
    STEP_TOPICS: 22.0,
    STEP_SENTIMENT: 23.0,
    STEP_FAILURES: 25.0,
    STEP_QUALITY: 13.0,
    STEP_TEMPORAL: 4.0,
    STEP_CHARTS: 1.0,
}


def warm_up() -> None:
    """Load the heavy parts (the language model, VADER lexicon, cue files and the
    profanity list, default taxonomy, stop words) once at worker start, so the first
    job's progress is not stuck on imports. Not scikit-learn or SciPy: only the topic
    models use them (``engine/topic_models.py``)."""
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
    models: TopicModels | None = None,
) -> AnalysisResults:
    """Analyse a (redacted) corpus into typed results (:func:`analyze_encoded`, with the
    message index decoded into them)."""
    results, index = analyze_encoded(
        corpus, options, progress=progress, checkpoint=checkpoint, now=now, models=models
    )
    results.message_index = index.records()
    return results


def analyze_encoded(
    corpus: Corpus,
    options: EngineOptions,
    *,
    progress: ProgressCallback | None = None,
    checkpoint: Checkpoint | None = None,
    now: datetime | None = None,
    models: TopicModels | None = None,
) -> tuple[AnalysisResults, JoinedIndex]:
    """Analyse a (redacted) corpus into typed results, the message index left encoded
    (``results.message_index`` empty; the index beside them: engine/encoded_index.py).

    The same three stages a sharded analysis runs, with one shard: the plan (a bounded
    sample decides the corpus-wide parts), the shard, the merge; so results are identical
    however many shards a corpus is split into.

    ``progress`` receives monotonic updates at least once per second of work
    and at every step; ``checkpoint`` is called between steps and every few
    hundred messages, and whatever it raises propagates (cancellation).
    ``results.privacy`` is left None (the worker attaches the privacy report).
    ``models`` fits and reads the topic models (default: here, before the shard); given,
    they are fitted while the shard is analysed and its learned rows read afterwards
    (the same results: the shard's rows are deferred, as a sharded run's are).
    Raises :class:`InvalidTimezoneError` for an unknown ``options.timezone``.
    """
    resolve_timezone(options.timezone)
    weights = dict(STEP_WEIGHTS)
    if not options.enable_quality:
        del weights[STEP_FAILURES], weights[STEP_QUALITY]
    if not options.enable_temporal:
        del weights[STEP_TEMPORAL]
    if not options.enable_visualizations:
        del weights[STEP_CHARTS]
    tracker = ProgressTracker(weights, progress, checkpoint)

    tracker.start_step(STEP_PLAN, 1, "samples")
    if models is None:
        plan = make_plan(corpus, tracker.pulse)
        tracker.end_step()
        partial = analyze_shard(corpus, corpus.conversations, 0, plan, options, tracker)
    else:
        partial, plan = _analyze_beside_fit(corpus, options, tracker, models)
    if options.enable_visualizations:
        tracker.start_step(STEP_CHARTS, 1, "charts")
    results, index = merge_encoded(
        [partial], plan, options, conversations=len(corpus.conversations), now=now
    )
    if options.enable_visualizations:
        tracker.end_step()
    for text in insights(results):
        tracker.insight(text)
    tracker.finish()
    return results, index


class _FitStoppedError(Exception):
    """The analysis ended before the topic models were fitted."""


def _analyze_beside_fit(
    corpus: Corpus, options: EngineOptions, tracker: ProgressTracker, models: TopicModels
) -> tuple[ShardPartial, AnalysisPlan]:
    """The plan's sample read here, the topic models fitted by ``models`` in a thread
    (waiting on another process, it leaves this one's interpreter to the shard) while
    the one shard is analysed with its learned rows deferred; then ``models`` reads
    them. The plan and partial :func:`make_plan` and a shard under it give."""
    reader = SampleReader()
    reader.add(
        [
            corpus.conversations[i]
            for i in plan_sample([len(c.messages) for c in corpus.conversations])
        ]
    )
    tracker.pulse()
    stopped = threading.Event()

    def pulse() -> None:
        if stopped.is_set():
            raise _FitStoppedError

    pool = ThreadPoolExecutor(1, thread_name_prefix="plan")
    fitting = pool.submit(contextvars.copy_context().run, reader.plan, pulse, models)
    tracker.end_step()
    try:
        shard_plan = ShardPlan(fallback_language=reader.fallback())
        del reader
        partial = analyze_shard(corpus, corpus.conversations, 0, shard_plan, options, tracker)
        while True:
            try:
                plan = fitting.result(timeout=0.25)
                break
            except TimeoutError:
                tracker.pulse()  # progress keeps its pace; a cancel stops the wait
    finally:
        stopped.set()
        pool.shutdown(wait=False, cancel_futures=True)
    models.read(partial.topics, plan.learned)
    return partial, plan


def insights(results: AnalysisResults) -> list[str]:
    """What the progress bar tells about a finished analysis."""
    found: list[str] = [
        f"Read {results.summary.messages:,} messages in {results.summary.conversations:,} "
        "conversations"
    ]
    if results.topics is not None:
        count = sum(1 for t in results.topics.taxonomy if t.conversations)
        found.append(f"Found {count + len(results.topics.learned)} different topics")
    if results.sentiment is not None:
        labels = results.sentiment.labels
        negative = labels.get("Negative", 0) + labels.get("Very Negative", 0)
        found.append(f"Scored {results.sentiment.messages:,} user messages ({negative:,} negative)")
    if results.quality is not None:
        found.append(f"Detected {results.quality.failures.total:,} assistant failures")
    if results.temporal is not None and results.temporal.streaks.longest_days > 1:
        found.append(f"Longest streak: {results.temporal.streaks.longest_days} days")
    if results.languages is not None:
        found.append(f"Languages: {', '.join(results.languages.messages) or 'none'}")
    return found
