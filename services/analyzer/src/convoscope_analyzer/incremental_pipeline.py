"""One incremental analysis without I/O: redact and analyse a corpus, reusing the pieces
an earlier analysis of the same collection left (``StoredPieces``).

The output equals :func:`~convoscope_analyzer.pipeline.run_pipeline`'s for the same
corpus and options: results, redacted corpus and privacy report.

- **Redaction**: the personal-data detections of a conversation whose raw content is
  unchanged are replayed (``shard_redaction.ReplayRedactor``, which checks each text
  against its recorded checksum); only new or changed conversations are scanned. In
  place, the redaction visits only the texts with a detection, in corpus order
  (``incremental_redaction``; the others do not change), so placeholders are numbered
  as one process numbers them.
- **Engine**: :func:`~convoscope_analyzer.engine.incremental.analyze_incremental`.

Pieces are reused only under the same fingerprint: engine version, the options that
change a conversation's numbers, the taxonomy and the detection settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from convoscope_analyzer.engine import ProgressUpdate, Taxonomy
from convoscope_analyzer.engine.incremental import IncrementalStats, analyze_incremental
from convoscope_analyzer.engine.options import engine_options
from convoscope_analyzer.engine.pieces import (
    PIECES_VERSION,
    EnginePieces,
    conversation_digest,
    fingerprint,
)
from convoscope_analyzer.engine.topic_models import TopicModels
from convoscope_analyzer.incremental_redaction import redact_detected
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import (
    PrivacyConfig,
    insights,
    redact_corpus,
)
from convoscope_analyzer.shard_redaction import Recorded, ReplayRedactor, record_detections
from convoscope_common import collector
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import PrivacyReport

# Overall progress: redaction up to here, the engine up to _ENGINE_END (as run_pipeline).
_REDACTED = 0.2
_ENGINE_END = 0.95
_STEP_PRIVACY = "Detecting personal data"


class StoredPieces(msgspec.Struct, kw_only=True):
    """What one analysis of a collection keeps for the next (one object per collection)."""

    version: int = PIECES_VERSION
    fingerprint: str = ""
    engine: EnginePieces = msgspec.field(default_factory=EnginePieces)
    # Raw conversation digest -> the detections of its texts, in redaction order.
    detections: dict[str, list[Recorded]] = {}


def pieces_fingerprint(
    options: AnalysisOptions, privacy: PrivacyConfig, taxonomy: Taxonomy | None
) -> str:
    """The fingerprint pieces of this analysis are kept and reused under."""
    settings = {
        "privacy": options.enable_privacy,
        "region": privacy.default_region,
        "names": privacy.detect_names,
    }
    return fingerprint(engine_options(options, taxonomy, None), settings)


@dataclass
class IncrementalRun:
    """The pipeline's output, the pieces to keep, and what was reused."""

    output: PipelineOutput
    pieces: StoredPieces
    stats: IncrementalStats
    texts_scanned: int = 0  # conversations whose personal data was detected afresh


def run_incremental(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    previous: StoredPieces | None,
    *,
    taxonomy: Taxonomy | None = None,
    prices: PriceTable | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    in_place: bool = False,
    models: TopicModels | None = None,
    encoded_index: bool = False,
) -> IncrementalRun:
    """Redact and analyse ``corpus`` reusing ``previous`` (None or another fingerprint:
    nothing is reused; the pieces of this run come back either way).

    ``in_place`` hands the corpus over as in ``run_pipeline``; ``models`` fits and reads
    the learned topics (default: in this process; the service: a child process);
    ``encoded_index`` leaves the message index encoded, as in ``run_pipeline``.
    """
    started = time.perf_counter()
    check = checkpoint or (lambda: None)

    def report(update: ProgressUpdate) -> None:
        if progress is not None:
            progress(update)

    key = pieces_fingerprint(options, privacy, taxonomy)
    usable = previous if previous is not None and previous.fingerprint == key else None
    old_detections = usable.detections if usable is not None else {}
    conversations = corpus.conversations
    hashes = corpus.content_hashes
    raw = [hashes.get(c.id) or conversation_digest(c) for c in conversations]
    report(ProgressUpdate(fraction=0.0, step=_STEP_PRIVACY, message="Scanning new messages"))
    # The corpus and the pieces live for the whole job: the scan's and the redaction's
    # collections need not walk them (a full collection over them took 1-3 s, now and
    # then, in the middle of the scan).
    with collector.long_lived_frozen():
        detections: dict[str, list[Recorded]] = {}
        recorded: list[list[Recorded]] = []
        scanned = 0
        for i, digest in enumerate(raw):
            found = old_detections.get(digest)
            if found is None:
                found = record_detections(corpus, privacy, i, i + 1)
                scanned += 1
                if scanned % 50 == 0:
                    check()
            detections[digest] = found
            recorded.append(found)
        scanned_at = time.perf_counter()
        if in_place and options.enable_privacy:
            # Only the texts with a detection change (and number placeholders, in corpus
            # order, which these keep); the others are left as they are. Projects (the
            # same objects) are redacted in place after them, as the whole pass does.
            report_ = redact_detected(
                conversations, recorded, corpus.projects, privacy, checkpoint=check
            )
            redacted = corpus
        else:
            replay = ReplayRedactor(privacy, (r for found in recorded for r in found))
            redacted, report_ = redact_corpus(corpus, privacy, checkpoint=check, redactor=replay)
            del replay
        del recorded
    redacted_at = time.perf_counter()
    if options.enable_privacy:
        report(
            ProgressUpdate(
                fraction=_REDACTED,
                step=_STEP_PRIVACY,
                message="Personal data redacted",
                new_insights=insights(report_),
            )
        )

    def engine_progress(update: ProgressUpdate) -> None:
        scaled = _REDACTED + update.fraction * (_ENGINE_END - _REDACTED)
        report(msgspec.structs.replace(update, fraction=round(scaled, 4)))

    with collector.long_lived_frozen():
        engine = analyze_incremental(
            redacted if options.enable_privacy else corpus,
            engine_options(options, taxonomy, prices),
            usable.engine if usable is not None else None,
            progress=engine_progress,
            checkpoint=checkpoint,
            models=models,
            encoded_index=encoded_index,
        )
    results = engine.results
    results.options = msgspec.structs.replace(
        results.options, enable_privacy=options.enable_privacy
    )
    results.privacy = report_ if options.enable_privacy else PrivacyReport(enabled=False)
    engine.stats.timings["personal data scan"] = scanned_at - started
    engine.stats.timings["redaction"] = redacted_at - scanned_at
    engine.stats.timings["engine"] = time.perf_counter() - redacted_at
    return IncrementalRun(
        output=PipelineOutput(
            results=results, redacted_corpus=redacted, message_index=engine.message_index
        ),
        pieces=StoredPieces(fingerprint=key, engine=engine.pieces, detections=detections),
        stats=engine.stats,
        texts_scanned=scanned,
    )
