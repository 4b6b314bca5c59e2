"""The sharded analysis of a corpus that stays encoded: what the coordinating run executes.

The same stages as :func:`~convoscope_analyzer.sharded.run_sharded`, with the same
results, but the coordinator holds the corpus as :class:`~.raw_corpus.RawCorpus`
(msgpack per conversation) instead of Python objects:

- shard inputs are byte slices of the stored corpus (nothing decoded);
- the redaction replays the shards' detections one range at a time, as soon as the
  ranges before it have come back, so it runs while later shards are still detecting
  and only one range is ever decoded; the redacted ranges are re-encoded at once;
- the plan decodes only its sample;
- the redacted corpus is handed over as a stream of its encoding (``on_redacted``,
  :class:`~.raw_corpus.EncodedCorpus`) as soon as it is complete, so the caller can
  store it while the shards analyse, without a joined copy.

Memory of the coordinator: the stored corpus and its redacted copy as bytes, one
decoded range, the plan's sample, then the partials and the merged results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import msgspec

from convoscope_analyzer.engine import EngineOptions, Taxonomy
from convoscope_analyzer.engine.merge import merge_partials
from convoscope_analyzer.engine.options import ProgressUpdate, engine_options
from convoscope_analyzer.engine.partial import ShardPartial, analyze_shard
from convoscope_analyzer.engine.pipeline import STEP_CHARTS, STEP_PLAN, STEP_WEIGHTS, insights
from convoscope_analyzer.engine.plan import AnalysisPlan, make_plan, plan_sample
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.sharding import shard_bounds
from convoscope_analyzer.memory import give_back
from convoscope_analyzer.privacy import PrivacyConfig, redact_corpus_in_place
from convoscope_analyzer.privacy import insights as privacy_insights
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_analyzer.raw_corpus import EncodedCorpus, RawCorpus, encode_conversation
from convoscope_analyzer.sharded import Ranges, Recorded, ReplayRedactor, record_detections
from convoscope_analyzer.stages import stage
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults, PrivacyReport

# Each mapper yields (range index, result) as the shards finish, in any order. The
# analyse mapper may release ``raw.conversations`` once it has cut every range's input.
RawDetectMapper = Callable[[RawCorpus, PrivacyConfig, Ranges], Iterable[tuple[int, list[Recorded]]]]
RawAnalyzeMapper = Callable[
    [RawCorpus, Ranges, AnalysisPlan, EngineOptions], Iterable[tuple[int, ShardPartial]]
]

# Overall progress at the end of each stage (as run_sharded reports it).
_DETECTED = 0.2
_PLANNED = 0.24
_ANALYSED = 0.93
_MERGED = 0.95
_STEP_DETECT = "Detecting personal data"
_STEP_ANALYSE = "Analysing shards"


def here_detect(
    raw: RawCorpus, privacy: PrivacyConfig, ranges: Ranges
) -> Iterator[tuple[int, list[Recorded]]]:
    """The detect stage in this thread, range after range (tests, no bus)."""
    for i, (a, b) in enumerate(ranges):
        part = raw.decode(a, b)
        yield i, record_detections(part, privacy, 0, len(part.conversations))


def here_analyze(
    raw: RawCorpus, ranges: Ranges, plan: AnalysisPlan, options: EngineOptions
) -> Iterator[tuple[int, ShardPartial]]:
    """The analyse stage in this thread, as a shard worker runs it on a range's input."""
    for i, (a, b) in enumerate(ranges):
        part = raw.decode(a, b)
        tracker = ProgressTracker(dict(STEP_WEIGHTS), None, None)
        yield i, analyze_shard(part, part.conversations, a, plan, options, tracker)


class _Feed:
    """The recorded detections handed to the replaying redactor, range by range."""

    def __init__(self) -> None:
        self._items: Iterator[Recorded] = iter(())

    def load(self, recorded: list[Recorded]) -> None:
        self._items = iter(recorded)

    def __iter__(self) -> Iterator[Recorded]:
        return self

    def __next__(self) -> Recorded:
        return next(self._items)


class _Redaction:
    """The replayed redaction of a whole corpus, one range at a time, in corpus order.

    Placeholders are numbered across ranges (one redactor) and the findings are tallied
    in visiting order, so the report equals the one ``redact_corpus`` makes in one pass.
    """

    def __init__(self, raw: RawCorpus, privacy: PrivacyConfig) -> None:
        self.raw = raw
        self.privacy = privacy
        self.feed = _Feed()
        self.redactor = ReplayRedactor(privacy, self.feed)
        self.findings: dict[tuple[str, str, str, str], int] = {}
        self.operators: dict[str, str] = {}
        self.best_effort: list[str] = []
        self.conversations: list[msgspec.Raw] = []

    def range(self, start: int, end: int, recorded: list[Recorded]) -> None:
        """Redact conversations[start:end] (the next range) with its shard's detections."""
        part = self.raw.decode(start, end)
        self.feed.load(recorded)
        self._tally(redact_corpus_in_place(part, self.privacy, redactor=self.redactor))
        if next(self.feed, None) is not None:
            raise RuntimeError("shard detections are out of step with the redaction")
        self.conversations += [encode_conversation(c) for c in part.conversations]

    def finish(self) -> tuple[RawCorpus, PrivacyReport]:
        """Redact the projects (numbered after every conversation) and report."""
        projects = Corpus(projects=[msgspec.structs.replace(p) for p in self.raw.projects])
        self._tally(redact_corpus_in_place(projects, self.privacy, redactor=self.redactor))
        shell = msgspec.structs.replace(self.raw.shell, projects=projects.projects)
        redacted = RawCorpus(shell, self.conversations, self.raw.sizes)
        return redacted, privacy_report(self.findings, self.operators, self.best_effort)

    def _tally(self, report: PrivacyReport) -> None:
        self.operators, self.best_effort = report.operators, report.best_effort_types
        for f in report.findings:
            key = (f.conversation_id, f.message_id, f.entity_type, f.field)
            self.findings[key] = self.findings.get(key, 0) + f.count


def run_sharded_raw(
    raw: RawCorpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    shards: int,
    map_detect: RawDetectMapper = here_detect,
    map_analyze: RawAnalyzeMapper = here_analyze,
    taxonomy: Taxonomy | None = None,
    prices: PriceTable | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    on_redacted: Callable[[EncodedCorpus], None] | None = None,
    now: datetime | None = None,
) -> tuple[AnalysisResults, bytes | None]:
    """Results identical to ``run_pipeline`` of the decoded corpus, and the redacted corpus
    as ``encode_corpus`` writes it — or None when ``on_redacted`` took it (as a stream of
    those bytes).

    ``raw`` is consumed: its conversations are released once redacted (privacy on).
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

    # Balanced as corpus_shards balances a decoded corpus (an empty conversation weighs one).
    ranges = shard_bounds([max(1, n) for n in raw.sizes], shards)
    total = raw.messages
    sizes = [sum(raw.sizes[a:b]) for a, b in ranges]
    redaction = _Redaction(raw, privacy)
    waiting: dict[int, list[Recorded]] = {}
    next_range = done = 0
    report(0.0, _STEP_DETECT, f"Scanning {total:,} messages in {len(ranges)} shards")
    with stage("shards_detect_and_redact", shards=len(ranges), messages=total):
        for index, recorded in map_detect(raw, privacy, ranges):
            waiting[index] = recorded
            # Replay every range whose predecessors are all redacted (corpus order).
            while next_range in waiting:
                with stage("redaction_range", index=next_range):
                    redaction.range(*ranges[next_range], waiting.pop(next_range))
                done += sizes[next_range]
                next_range += 1
                scanned = f"Scanned {done:,} of {total:,}"
                report(_DETECTED * done / (total or 1), _STEP_DETECT, scanned)
    with stage("redaction_finish"):
        redacted, privacy_report = redaction.finish()
    del redaction
    give_back()
    if options.enable_privacy:
        report(_DETECTED, _STEP_DETECT, "Personal data redacted", privacy_insights(privacy_report))
        analysed = redacted
        raw.conversations = []  # the stored corpus's bytes are no longer needed
    else:
        analysed = raw
    blob: bytes | None = None
    if on_redacted is not None:
        # A stream of the encoding: stored piece by piece, never joined into one more
        # copy of the corpus beside the one the analysis reads.
        on_redacted(EncodedCorpus(redacted))
    else:
        with stage("redacted_corpus_encode") as extra:
            blob = redacted.encode()
            extra["bytes"] = len(blob)
    del redacted  # ``analysed`` holds it when the analysis reads it
    run_options = engine_options(options, taxonomy, prices)
    with stage("plan"):
        sample = plan_sample(analysed.sizes)
        shell = {name: getattr(analysed.shell, name) for name in analysed.shell.__struct_fields__}
        shell["conversations"] = analysed.decode_at(sample)
        plan = make_plan(Corpus(**shell))
        del shell, sample
    give_back()
    report(_PLANNED, STEP_PLAN, "Topic models fitted on the sample")
    partials: list[ShardPartial] = []
    done = 0
    with stage("shards_analyse", shards=len(ranges), messages=total):
        for index, partial in map_analyze(analysed, ranges, plan, run_options):
            partials.append(partial)
            done += sizes[index]
            fraction = _PLANNED + (_ANALYSED - _PLANNED) * done / (total or 1)
            report(fraction, _STEP_ANALYSE, f"Analysed {done:,} of {total:,} messages")
    conversations = len(analysed.sizes)
    del analysed
    with stage("merge", shards=len(partials)):
        results = merge_partials(partials, plan, run_options, conversations=conversations, now=now)
    del partials
    give_back()
    report(_MERGED, STEP_CHARTS, f"Merged {len(ranges)} shards", insights(results))
    results.options = msgspec.structs.replace(
        results.options, enable_privacy=options.enable_privacy
    )
    results.privacy = privacy_report if options.enable_privacy else PrivacyReport(enabled=False)
    return results, blob
