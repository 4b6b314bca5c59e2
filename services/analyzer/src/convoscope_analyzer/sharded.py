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
the ranges and return one result per range, in order (default: here, one after another).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from datetime import datetime

import msgspec

from convoscope_analyzer.engine import EngineOptions, Taxonomy
from convoscope_analyzer.engine.merge import merge_partials
from convoscope_analyzer.engine.partial import ShardPartial, analyze_shard
from convoscope_analyzer.engine.pipeline import STEP_WEIGHTS
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
from convoscope_common.corpus import Corpus
from convoscope_common.messages import AnalysisOptions
from convoscope_common.results import AnalysisOptionsUsed, PrivacyReport


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


def run_sharded(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    shards: int,
    taxonomy: Taxonomy | None = None,
    in_place: bool = False,
    map_detect: Callable[[Ranges], list[list[Recorded]]] | None = None,
    map_analyze: Callable[[Corpus, Ranges, AnalysisPlan, EngineOptions], list[ShardPartial]]
    | None = None,
    now: datetime | None = None,
) -> PipelineOutput:
    """Redact and analyse ``corpus`` in ``shards`` shards; the same output as
    :func:`~.pipeline.run_pipeline` for the same input and options.

    ``in_place`` hands the corpus over as in ``run_pipeline``.
    """
    ranges = corpus_shards(corpus, shards)
    if map_detect is None:
        recorded = [record_detections(corpus, privacy, a, b) for a, b in ranges]
    else:
        recorded = map_detect(ranges)
    redactor = ReplayRedactor(privacy, (r for part in recorded for r in part))
    if in_place and options.enable_privacy:
        report = redact_corpus_in_place(corpus, privacy, redactor=redactor)
        redacted = corpus
    else:
        redacted, report = redact_corpus(corpus, privacy, redactor=redactor)
    analysed = redacted if options.enable_privacy else corpus
    engine_options = EngineOptions(
        enable_quality=options.enable_quality,
        enable_temporal=options.enable_temporal,
        enable_visualizations=options.enable_visualizations,
        timezone=options.timezone,
        taxonomy=taxonomy,
    )
    plan = make_plan(analysed)
    if map_analyze is None:
        partials = [analyze_range(analysed, a, b, plan, engine_options) for a, b in ranges]
    else:
        partials = map_analyze(analysed, ranges, plan, engine_options)
    results = merge_partials(
        partials, plan, engine_options, conversations=len(analysed.conversations), now=now
    )
    results.options = AnalysisOptionsUsed(
        enable_privacy=options.enable_privacy,
        enable_quality=options.enable_quality,
        enable_temporal=options.enable_temporal,
        enable_visualizations=options.enable_visualizations,
        timezone=options.timezone,
    )
    results.privacy = report if options.enable_privacy else PrivacyReport(enabled=False)
    return PipelineOutput(results=results, redacted_corpus=redacted)


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
