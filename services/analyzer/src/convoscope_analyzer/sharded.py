"""One analysis split into shards, without I/O: the one driver behind the CLI's process
pool and the analyzer's shards over the bus, with results identical to
:func:`~.pipeline.run_pipeline`.

Stages over contiguous conversation ranges balanced by message count, arranged so that
nothing waits that need not:

1. **detect** (per shard, costly, by the runner): the personal-data detections of every
   text, recorded in redaction order (``shard_redaction.record_detections``);
2. **replay** (here, cheap): each range is redacted as soon as every range before it is,
   while later shards still detect, and kept for the redacted corpus;
3. **sample** (here, bounded): meanwhile, the plan's sample conversations of each
   replayed range get their own language (the fallback language is their dominant
   one), so that only the last range's share of it waits between the two shard stages
   (it once ran there whole, 1.4 s of 17 on the benchmark export);
4. **analyse** (per shard, costly, by the runner): the shards start with the fallback
   (:func:`~.engine.partial.analyze_shard` with their learned-topic rows deferred); the
   redacted corpus is handed over (``on_redacted``: the service stores it meanwhile) and
   the topic models are fitted on the sample in a thread, beside the shards;
5. **learned rows** (here, cheap): each partial is read with the fitted models as soon as
   both exist (``topics.apply_learned``);
6. **merge** (here, cheap): :func:`~.engine.merge.merge_encoded`.

Where the per-shard stages run is the runner's (:class:`ShardRunner`: here in turn, a
process pool, the bus); how the corpus is held is the access's
(:class:`~.shard_corpus.ShardCorpus`: decoded, or encoded per conversation).
"""

from __future__ import annotations

import contextvars
import functools
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, ParamSpec, Protocol, TypeVar

import msgspec

from convoscope_analyzer.engine import EngineOptions, Taxonomy
from convoscope_analyzer.engine.encoded_index import JoinedIndex, settled
from convoscope_analyzer.engine.merge import merge_encoded
from convoscope_analyzer.engine.options import Checkpoint, ProgressUpdate, engine_options
from convoscope_analyzer.engine.partial import ShardPartial, analyze_shard
from convoscope_analyzer.engine.pipeline import STEP_CHARTS, STEP_PLAN, STEP_WEIGHTS, insights
from convoscope_analyzer.engine.plan import AnalysisPlan, SampleReader, ShardPlan, plan_sample
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.topic_models import InProcess, TopicModels
from convoscope_analyzer.held_partial import HeldPartial, release
from convoscope_analyzer.memory import give_back
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.privacy import insights as privacy_insights
from convoscope_analyzer.shard_corpus import ShardCorpus
from convoscope_analyzer.shard_ranges import tapered_bounds
from convoscope_analyzer.shard_redaction import (
    RangeRedaction,
    Recorded,
    encode_patches,
    record_detections,
)
from convoscope_analyzer.sharded_early import EarlyStart
from convoscope_analyzer.stages import stage
from convoscope_common import collector
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults, PrivacyReport

C = TypeVar("C")
P = ParamSpec("P")
R = TypeVar("R")
C_contra = TypeVar("C_contra", contravariant=True)
Ranges = list[tuple[int, int]]

# Overall progress at the end of each stage (the engine's share ends at 0.95, as in
# run_pipeline).
_REDACTED = 0.2
_ANALYSED = 0.93
_MERGED = 0.95
STEP_DETECT = "Detecting personal data"
STEP_ANALYSE = "Analysing shards"


class ShardRunner(Protocol[C_contra]):
    """Where the per-shard stages run. Each yields (range index, result) as shards
    finish, in any order."""

    def detect(
        self, corpus: C_contra, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterable[tuple[int, list[Recorded]]]:
        """The recorded detections of every range of the original ``corpus``."""
        ...

    def analyze(
        self, corpus: C_contra, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> Iterator[tuple[int, ShardPartial | HeldPartial]]:
        """Start analysing every range of ``corpus`` (the one the analysis reads) under
        ``plan`` now, before returning (the driver fits the topic models meanwhile); the
        iterator yields the partials (decoded, or held encoded until the merge)."""
        ...


def shard_partial(
    part: Corpus, start: int, plan: AnalysisPlan | ShardPlan, options: EngineOptions,
    checkpoint: Checkpoint | None = None,
) -> ShardPartial:  # fmt: skip
    """The partial of ``part`` (the conversations of a range starting at ``start``)."""
    tracker = ProgressTracker(dict(STEP_WEIGHTS), None, checkpoint)
    return analyze_shard(part, part.conversations, start, plan, options, tracker)


class HereRunner(Generic[C]):
    """Both stages in this thread, range after range (one shard, tests)."""

    def __init__(self, access: ShardCorpus[C]) -> None:
        self.access = access

    def detect(
        self, corpus: C, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        for i, (a, b) in enumerate(ranges):
            part = self.access.view(corpus, a, b)
            yield i, record_detections(part, privacy, 0, len(part.conversations))

    def analyze(
        self, corpus: C, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> Iterator[tuple[int, ShardPartial]]:
        for i, (a, b) in enumerate(ranges):
            yield i, shard_partial(self.access.view(corpus, a, b), a, plan, options)


@dataclass
class ShardedOutput(Generic[C]):
    """The results and the redacted corpus (None when ``on_redacted`` took it); with the
    message index left encoded (``encoded_index``), the index beside the results."""

    results: AnalysisResults
    redacted: C | None
    message_index: JoinedIndex | None = None


class _Reporter:
    def __init__(self, progress: Callable[[ProgressUpdate], None] | None) -> None:
        self.progress = progress
        self.fraction = 0.0

    def __call__(
        self, fraction: float, step: str, message: str, found: list[str] | None = None
    ) -> None:
        self.fraction = max(self.fraction, fraction)
        if self.progress is not None:
            self.progress(
                ProgressUpdate(
                    fraction=round(self.fraction, 4),
                    step=step,
                    message=message,
                    new_insights=found or [],
                )
            )


class _FitStopped(Exception):
    """The run ended before the topic models were fitted."""


def _frozen(run: Callable[P, R]) -> Callable[P, R]:
    """``run`` with what is alive when it starts, and each partial as it arrives, hidden
    from the collector (long-lived data, as in ``run_pipeline``)."""

    @functools.wraps(run)
    def frozen(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector.long_lived_frozen():
            return run(*args, **kwargs)

    return frozen


@_frozen
def run_sharded(
    access: ShardCorpus[C],
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    shards: int,
    runner: ShardRunner[C] | None = None,
    taxonomy: Taxonomy | None = None,
    prices: PriceTable | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    on_redacted: Callable[[C], None] | None = None,
    now: datetime | None = None,
    models: TopicModels | None = None,
    encoded_index: bool = False,
) -> ShardedOutput[C]:
    """Redact and analyse ``access``'s corpus in ``shards`` shards run by ``runner``
    (default: here, in turn); the same results and redacted corpus as
    :func:`~.pipeline.run_pipeline` for the same input and options.

    ``progress`` gets monotonic updates as ranges are redacted and shards finish
    (0..0.95, as ``run_pipeline`` reports). ``on_redacted`` receives the redacted corpus
    as soon as it is complete (the shards analyse meanwhile); then it is not returned.
    ``models`` fits the topic models and reads the partials' learned rows (default: in
    this process; the service: in a child process, ``topic_process.py``).
    ``encoded_index`` leaves the message index encoded, as ``run_pipeline`` does.
    """
    report = _Reporter(progress)
    runner = runner if runner is not None else HereRunner(access)
    models = models or InProcess()
    # An empty conversation weighs one, so many of them still spread; the last shards
    # are the smallest (shard_ranges.py: shorter tails).
    ranges = tapered_bounds([max(1, n) for n in access.sizes], shards)
    total = sum(access.sizes)
    sizes = [sum(access.sizes[a:b]) for a, b in ranges]
    privacy_on = options.enable_privacy
    waiting: dict[int, list[Recorded]] = {}
    next_range = done = 0
    sample = _RangeSample(plan_sample(access.sizes))
    run_options = engine_options(options, taxonomy, prices)
    # A runner that can start the analyse shards range by range gets each as soon as it
    # is redacted and the fallback language is settled (usually once about half of the
    # sample is read), instead of all of them after the last range.
    early = EarlyStart(runner, access, ranges, run_options, privacy_on)
    # What each range's replay replaced, for a runner whose shards redo it on the
    # original range (the bus: sharded_early.PatchedStage).
    redaction = RangeRedaction(privacy, patches=early.patched and privacy_on)
    report(0.0, STEP_DETECT, f"Scanning {total:,} messages in {len(ranges)} shards")
    if privacy_on:  # each range of the original goes once redacted (``forget``)
        access.hold(ranges)
    try:
        with stage("shards_detect_and_redact", shards=len(ranges), messages=total):
            for index, recorded in runner.detect(access.corpus, privacy, ranges):
                waiting[index] = recorded
                # Replay every range whose predecessors are all redacted (corpus order).
                while next_range in waiting:
                    start, end = ranges[next_range]
                    with stage("redaction_range", index=next_range):
                        part = access.take(start, end)
                        if not privacy_on:  # the analysis reads the original text
                            sample.read(part, start, end)
                        replaced = redaction.range(part, waiting.pop(next_range))
                        patches = encode_patches(replaced) if replaced else b""
                        del replaced
                        if privacy_on:
                            sample.read(part, start, end)
                        access.keep(part)
                        del part
                    early.ready(next_range, sample.settled_fallback(), patches)
                    del patches
                    if privacy_on:  # the original range is read no more
                        access.forget(start, end)
                    done += sizes[next_range]
                    next_range += 1
                    scanned = f"Scanned {done:,} of {total:,}"
                    report(_REDACTED * done / (total or 1), STEP_DETECT, scanned)
        with stage("redaction_finish"):
            projects = access.projects()
            redaction.projects(projects)
            redacted: C | None = access.finish(projects)
            privacy_report = redaction.report()
            del redaction, projects
        give_back()
        if privacy_on:
            report(
                _REDACTED, STEP_DETECT, "Personal data redacted", privacy_insights(privacy_report)
            )
        assert redacted is not None
        shard_plan = ShardPlan(fallback_language=sample.reader.fallback())
        if early.analysis is not None:
            assert early.plan == shard_plan  # settled: the whole sample agrees
            if on_redacted is not None:
                on_redacted(redacted)
                redacted = None
            # Every range is started: the runner holds the inputs it has still to write
            # (cut from the original with privacy off), the original is no longer read.
            access.release()
            models.prepare()
            finished = early.analysis.finished()
        else:
            if privacy_on:
                access.release()
                analysed = redacted
            else:
                analysed = access.corpus
            if on_redacted is not None:
                # Before the shards start: their runner may release what it has cut their
                # inputs from.
                on_redacted(redacted)
                redacted = None
            # A process it starts imports its libraries beside the analyse shards, which
            # run for far longer (started while the shards detect, it slowed their replay
            # down).
            models.prepare()
            with stage("shards_start", shards=len(ranges)):
                finished = runner.analyze(analysed, ranges, shard_plan, run_options)
            del analysed
        partials = _analyse(finished, sample.reader, report, sizes, total, models)
    finally:
        early.close()
    del sample
    conversations = len(access.sizes)
    with stage("merge", shards=len(partials.parts)):
        plan = partials.plan
        parts = [release(part) for part in partials.parts]  # held ones decoded now
        partials.parts.clear()
        give_back()  # the held bytes' pages, before the merge builds the results
        results, message_index = merge_encoded(
            parts, plan, run_options, conversations=conversations, now=now
        )
        del parts
    del partials
    give_back()
    report(_MERGED, STEP_CHARTS, f"Merged {len(ranges)} shards", insights(results))
    # The engine built the options used; enable_privacy is this pipeline's to set.
    results.options = msgspec.structs.replace(results.options, enable_privacy=privacy_on)
    results.privacy = privacy_report if privacy_on else PrivacyReport(enabled=False)
    return ShardedOutput(
        results=results,
        redacted=redacted,
        message_index=settled(results, message_index, encoded_index),
    )


class _RangeSample:
    """The plan's sample, read range by range as the ranges are replayed (in corpus
    order, as :class:`SampleReader` wants them), so that its languages are detected while
    later shards still detect instead of between the two shard stages."""

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions  # ascending
        self.reader = SampleReader()
        self._next = 0  # the first position not read yet

    def settled_fallback(self) -> str | None:
        """The fallback language, once the sample conversations not read yet cannot
        change it."""
        return self.reader.settled_fallback(len(self.positions) - self._next)

    def read(self, part: Corpus, start: int, end: int) -> None:
        """Read the sample conversations of ``part`` (conversations[start:end]), as the
        analysis reads them."""
        first = self._next
        self._next = bisect_left(self.positions, end, lo=first)
        if self._next == first:
            return
        with stage("plan_sample", first=start, conversations=self._next - first):
            self.reader.add(
                [part.conversations[i - start] for i in self.positions[first : self._next]]
            )


@dataclass
class _Analysed:
    parts: list[ShardPartial | HeldPartial]
    plan: AnalysisPlan


def _analyse(
    finished: Iterator[tuple[int, ShardPartial | HeldPartial]],
    reader: SampleReader,
    report: _Reporter,
    sizes: list[int],
    total: int,
    models: TopicModels,
) -> _Analysed:
    """Collect the shards' partials while the topic models are fitted in a thread; read
    each partial's learned rows as soon as both exist."""
    stopped = False

    def pulse() -> None:
        if stopped:
            raise _FitStopped

    def fit() -> AnalysisPlan:
        with stage("plan", documents=len(reader.texts)):
            return reader.plan(pulse, models)

    pool = ThreadPoolExecutor(1, thread_name_prefix="plan")
    fitting: Future[AnalysisPlan] = pool.submit(contextvars.copy_context().run, fit)
    parts: list[ShardPartial | HeldPartial] = []
    unread: list[ShardPartial | HeldPartial] = []
    plan: AnalysisPlan | None = None
    done = 0

    def read_learned() -> None:
        nonlocal plan
        if plan is None:
            if not fitting.done():
                return
            plan = fitting.result()
            report(report.fraction, STEP_PLAN, "Topic models fitted on the sample")
        with stage("learned_rows", shards=len(unread)):
            for part in unread:
                models.read(part.topics, plan.learned)
        unread.clear()

    try:
        with stage("shards_analyse", shards=len(sizes), messages=total):
            for index, partial in finished:
                collector.freeze_more()  # the partial lives until the merge
                parts.append(partial)
                unread.append(partial)
                read_learned()
                done += sizes[index]
                fraction = _REDACTED + (_ANALYSED - _REDACTED) * done / (total or 1)
                report(fraction, STEP_ANALYSE, f"Analysed {done:,} of {total:,} messages")
        fitting.result()  # the fit's end, or its error
        read_learned()
    finally:
        stopped = True
        pool.shutdown(wait=False, cancel_futures=True)
    assert plan is not None
    return _Analysed(parts=parts, plan=plan)
