"""One analysis split into shards, without I/O: what a process pool (the CLI) or the bus
(analyzer replicas) runs, with results identical to :func:`~.pipeline.run_pipeline`.

Stages, each over contiguous conversation ranges balanced by message count:

1. **detect** (per shard, costly): personal-data detections of every text, recorded in
   the order the redaction visits them (:func:`record_detections`);
2. **redact** (once, cheap): the ordinary redaction replays those detections in corpus
   order, so placeholders are numbered across the whole corpus exactly as one process
   numbers them (``<EMAIL_1>`` is the first address of the corpus, whichever shard it
   lies in);
3. **plan** (once, bounded): the sample decides the corpus-wide parts (engine/plan.py);
4. **analyse** (per shard, costly): :func:`~.engine.partial.analyze_shard`;
5. **merge** (once, cheap): :func:`~.engine.merge.merge_partials`.

How the per-shard stages run is the caller's: ``map_detect`` and ``map_analyze`` take
the ranges and yield (range index, result) as shards finish (default: here, in turn).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import msgspec

from convoscope_analyzer.engine import EngineOptions, Taxonomy
from convoscope_analyzer.engine.merge import merge_partials
from convoscope_analyzer.engine.options import ProgressUpdate, engine_options
from convoscope_analyzer.engine.partial import ShardPartial, analyze_shard
from convoscope_analyzer.engine.pipeline import STEP_CHARTS, STEP_PLAN, STEP_WEIGHTS, insights
from convoscope_analyzer.engine.plan import AnalysisPlan, make_plan
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.sharding import corpus_shards
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import (
    Detection,
    PrivacyConfig,
    Redactor,
    redact_corpus,
    redact_corpus_in_place,
)
from convoscope_analyzer.privacy import insights as privacy_insights
from convoscope_analyzer.stages import stage
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import PrivacyReport


class Recorded(msgspec.Struct, array_like=True):
    """The detections of one text, with a checksum of the text they belong to."""

    checksum: int
    detections: list[Detection]


def _checksum(text: str) -> int:
    # Stable across processes (``hash`` is salted per process): shards may run anywhere.
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) ^ (len(text) << 32)


class _RecordingRedactor(Redactor):
    """Detects, records, and changes nothing."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.recorded: list[Recorded] = []

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.recorded.append(Recorded(_checksum(text), self.detect(text)))
        return text, []


class ReplayRedactor(Redactor):
    """A :class:`Redactor` whose detections were recorded by the shards, in visiting order.

    Texts after the recorded ones (project names, which follow the conversations) are
    detected here. A text whose checksum does not match fails loudly instead of
    redacting the wrong spans.
    """

    def __init__(self, config: PrivacyConfig, recorded: Iterator[Recorded]) -> None:
        super().__init__(config)
        self._recorded = recorded

    def detect(self, text: str) -> list[Detection]:
        entry = next(self._recorded, None)
        if entry is None:
            return super().detect(text)
        if entry.checksum != _checksum(text):
            raise RuntimeError("shard detections are out of step with the redaction")
        return entry.detections


def record_detections(
    corpus: Corpus, config: PrivacyConfig, start: int, end: int
) -> list[Recorded]:
    """The detections of every text of conversations[start:end], in redaction order.

    The corpus is not changed (the conversations are copied shallowly and nothing is
    replaced)."""
    part = msgspec.structs.replace(
        corpus, conversations=corpus.conversations[start:end], projects=[]
    )
    recorder = _RecordingRedactor(config)
    redact_corpus_in_place(part, config, redactor=recorder)
    return recorder.recorded


Ranges = list[tuple[int, int]]
# Each mapper yields (range index, result) as the shards finish, in any order.
DetectMapper = Callable[[Corpus, PrivacyConfig, Ranges], Iterable[tuple[int, list[Recorded]]]]
AnalyzeMapper = Callable[
    [Corpus, Ranges, AnalysisPlan, EngineOptions], Iterable[tuple[int, ShardPartial]]
]

# Overall progress at the end of each stage (the engine's share ends at 0.95, as in
# run_pipeline).
_DETECTED = 0.18
_REDACTED = 0.2
_PLANNED = 0.24
_ANALYSED = 0.93
_MERGED = 0.95


def _here_detect(
    corpus: Corpus, privacy: PrivacyConfig, ranges: Ranges
) -> Iterator[tuple[int, list[Recorded]]]:
    for i, (a, b) in enumerate(ranges):
        yield i, record_detections(corpus, privacy, a, b)


def _here_analyze(
    corpus: Corpus, ranges: Ranges, plan: AnalysisPlan, options: EngineOptions
) -> Iterator[tuple[int, ShardPartial]]:
    for i, (a, b) in enumerate(ranges):
        yield i, analyze_range(corpus, a, b, plan, options)


def run_sharded(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    shards: int,
    taxonomy: Taxonomy | None = None,
    prices: PriceTable | None = None,
    in_place: bool = False,
    map_detect: DetectMapper = _here_detect,
    map_analyze: AnalyzeMapper = _here_analyze,
    progress: Callable[[ProgressUpdate], None] | None = None,
    now: datetime | None = None,
) -> PipelineOutput:
    """Redact and analyse ``corpus`` in ``shards`` shards; the same output as
    :func:`~.pipeline.run_pipeline` for the same input and options.

    ``in_place`` hands the corpus over as in ``run_pipeline``. ``progress`` gets
    monotonic updates as shards finish (0..0.95, as ``run_pipeline`` reports).
    """

    def report(fraction: float, step: str, message: str, found: list[str] | None = None) -> None:
        if progress is not None:
            progress(
                ProgressUpdate(
                    fraction=round(fraction, 4),
                    step=step,
                    message=message,
                    new_insights=found or [],
                )
            )

    ranges = corpus_shards(corpus, shards)
    total = sum(len(c.messages) for c in corpus.conversations)
    sizes = [sum(len(c.messages) for c in corpus.conversations[a:b]) for a, b in ranges]
    recorded: dict[int, list[Recorded]] = {}
    done = 0
    report(0.0, _STEP_DETECT, f"Scanning {total:,} messages in {len(ranges)} shards")
    with stage("shards_detect", shards=len(ranges), messages=total):
        for index, part in map_detect(corpus, privacy, ranges):
            recorded[index] = part
            done += sizes[index]
            report(_DETECTED * done / (total or 1), _STEP_DETECT, f"Scanned {done:,} of {total:,}")
    with stage("redaction_replay", messages=total):
        redactor = ReplayRedactor(privacy, (r for i in range(len(ranges)) for r in recorded[i]))
        if in_place and options.enable_privacy:
            report_ = redact_corpus_in_place(corpus, privacy, redactor=redactor)
            redacted = corpus
        else:
            redacted, report_ = redact_corpus(corpus, privacy, redactor=redactor)
        del recorded, redactor
    if options.enable_privacy:
        report(_REDACTED, _STEP_DETECT, "Personal data redacted", privacy_insights(report_))
    analysed = redacted if options.enable_privacy else corpus
    run_options = engine_options(options, taxonomy, prices)
    with stage("plan"):
        plan = make_plan(analysed)
    report(_PLANNED, STEP_PLAN, "Topic models fitted on the sample")
    partials: list[ShardPartial] = []
    done = 0
    with stage("shards_analyse", shards=len(ranges), messages=total):
        for index, partial in map_analyze(analysed, ranges, plan, run_options):
            partials.append(partial)
            done += sizes[index]
            fraction = _PLANNED + (_ANALYSED - _PLANNED) * done / (total or 1)
            report(fraction, _STEP_ANALYSE, f"Analysed {done:,} of {total:,} messages")
    with stage("merge", shards=len(partials)):
        results = merge_partials(
            partials, plan, run_options, conversations=len(analysed.conversations), now=now
        )
    report(_MERGED, STEP_CHARTS, f"Merged {len(partials)} shards", insights(results))
    # The engine built the options used; enable_privacy is this pipeline's to set.
    results.options = msgspec.structs.replace(
        results.options, enable_privacy=options.enable_privacy
    )
    results.privacy = report_ if options.enable_privacy else PrivacyReport(enabled=False)
    return PipelineOutput(results=results, redacted_corpus=redacted)


_STEP_DETECT = "Detecting personal data"
_STEP_ANALYSE = "Analysing shards"


def analyze_range(
    corpus: Corpus,
    start: int,
    end: int,
    plan: AnalysisPlan,
    options: EngineOptions,
    progress: Callable[[float], None] | None = None,
) -> ShardPartial:
    """The partial of conversations[start:end] (a shard), with its own progress 0..1."""

    def report(update: object) -> None:
        if progress is not None:
            progress(getattr(update, "fraction", 0.0))

    tracker = ProgressTracker(dict(STEP_WEIGHTS), report, None)
    return analyze_shard(corpus, corpus.conversations[start:end], start, plan, options, tracker)
