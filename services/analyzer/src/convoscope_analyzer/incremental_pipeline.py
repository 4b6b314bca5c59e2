"""One incremental analysis without I/O: redact and analyse a corpus, reusing the pieces
an earlier analysis of the same collection left (``StoredPieces``).

The output equals :func:`~convoscope_analyzer.pipeline.run_pipeline`'s for the same
corpus and options: results, redacted corpus and privacy report.

- **Redaction**: the personal-data detections of a conversation whose raw content is
  unchanged are replayed (``shard_redaction.ReplayRedactor``, which checks each text
  against its recorded checksum); only new or changed conversations are scanned. The
  redaction visits only the texts with a detection, in place and in corpus order
  (``incremental_redaction``; the others do not change), so placeholders are numbered
  as one process numbers them.
- **Engine**: :func:`~convoscope_analyzer.engine.incremental.analyze_incremental`, with
  each conversation's content key made from its raw digest and the texts the redaction
  left (``pieces.redacted_digest``), not by encoding the redacted corpus again.

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
    redacted_digest,
)
from convoscope_analyzer.engine.topic_models import TopicModels
from convoscope_analyzer.incremental_redaction import redact_detected
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import PrivacyConfig, insights, redact_corpus
from convoscope_analyzer.shard_redaction import Recorded, ReplayRedactor, record_detections
from convoscope_common import collector
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import PrivacyReport

_recorded_decoder = msgspec.msgpack.Decoder(list[Recorded])

# Overall progress: redaction up to here, the engine up to _ENGINE_END (as run_pipeline).
_REDACTED = 0.2
_ENGINE_END = 0.95
_STEP_PRIVACY = "Detecting personal data"


class StoredPieces(msgspec.Struct, kw_only=True):
    """What one analysis of a collection keeps for the next (one object per collection)."""

    version: int = PIECES_VERSION
    fingerprint: str = ""
    engine: EnginePieces = msgspec.field(default_factory=EnginePieces)
    # Raw conversation digest -> the detections of its texts, in redaction order; as
    # read from the store they stay encoded (a tenth of their size as objects) until a
    # run looks them up, and a run keeps those it reused encoded.
    detections: dict[str, list[Recorded] | msgspec.Raw] = {}
    # Chunk key -> its stored record (pieces_codec), for chunks read from the store and
    # reused unchanged: they are written back from it, not compressed again.
    frames: dict[str, bytes] = {}


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

    ``in_place`` hands the corpus over as in ``run_pipeline`` (without it, a copy is
    redacted); ``models`` fits and reads
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
        detections: dict[str, list[Recorded] | msgspec.Raw] = {}
        recorded: list[list[Recorded]] = []
        scanned = 0
        for i, digest in enumerate(raw):
            kept = old_detections.get(digest)
            if kept is None:
                found = record_detections(corpus, privacy, i, i + 1)
                detections[digest] = found
                scanned += 1
                if scanned % 50 == 0:
                    check()
            else:
                found = _recorded_decoder.decode(kept) if isinstance(kept, msgspec.Raw) else kept
                detections[digest] = kept
            recorded.append(found)
        scanned_at = time.perf_counter()
        visited: list[list[str]] = []
        if options.enable_privacy:
            if not in_place:
                corpus = decode_corpus(encode_corpus(corpus))
                conversations = corpus.conversations
            # Only the texts with a detection change (and number placeholders, in corpus
            # order, which these keep); the others are left as they are. Projects (the
            # same objects) are redacted in place after them, as the whole pass does.
            report_ = redact_detected(
                conversations, recorded, corpus.projects, privacy, checkpoint=check,
                visited=visited,
            )  # fmt: skip
            redacted = corpus
        else:
            # The engine reads the raw corpus; the redacted copy serves the exports.
            replay = ReplayRedactor(privacy, (r for found in recorded for r in found))
            redacted, report_ = redact_corpus(corpus, privacy, checkpoint=check, redactor=replay)
            del replay
        # The engine's content keys from the raw ones and the texts the redaction left,
        # instead of encoding and hashing every redacted conversation again.
        digests = [
            redacted_digest(
                raw_digest,
                conversation.id,
                list(zip(_visited_positions(found), texts, strict=True)) if texts else [],
            )
            for raw_digest, conversation, found, texts in zip(
                raw, conversations, recorded, visited or [[] for _ in raw], strict=True
            )
        ]
        del recorded, visited
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
            corpus,
            engine_options(options, taxonomy, prices),
            usable.engine if usable is not None else None,
            progress=engine_progress,
            checkpoint=checkpoint,
            models=models,
            encoded_index=encoded_index,
            digests=digests,
        )
    results = engine.results
    results.options = msgspec.structs.replace(
        results.options, enable_privacy=options.enable_privacy
    )
    results.privacy = report_ if options.enable_privacy else PrivacyReport(enabled=False)
    engine.stats.timings["personal data scan"] = scanned_at - started
    engine.stats.timings["redaction"] = redacted_at - scanned_at
    engine.stats.timings["engine"] = time.perf_counter() - redacted_at
    # A chunk reused as it was read (the same object) is written back as it was read.
    old_chunks = usable.engine.chunks if usable is not None else {}
    frames = {
        name: usable.frames[name]
        for name, piece in engine.pieces.chunks.items()
        if usable is not None and name in usable.frames and old_chunks.get(name) is piece
    }
    return IncrementalRun(
        output=PipelineOutput(
            results=results, redacted_corpus=redacted, message_index=engine.message_index
        ),
        pieces=StoredPieces(
            fingerprint=key, engine=engine.pieces, detections=detections, frames=frames
        ),
        stats=engine.stats,
        texts_scanned=scanned,
    )


def _visited_positions(found: list[Recorded]) -> list[int]:
    """The places in a conversation's walk that the redaction visits (as
    :func:`redact_detected` picks them)."""
    return [k for k, entry in enumerate(found) if entry.detections]
