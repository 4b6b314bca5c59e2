"""One analysis, start to finish, without I/O: redact, analyse, assemble.

The worker runs :func:`run_pipeline` in a thread; ``checkpoint`` raises to stop
it (cancel, timeout) and ``progress`` reports overall progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from convoscope_analyzer.engine import JoinedIndex, ProgressUpdate, Taxonomy, analyze_encoded
from convoscope_analyzer.engine.encoded_index import settled
from convoscope_analyzer.engine.options import engine_options
from convoscope_analyzer.engine.topic_models import TopicModels
from convoscope_analyzer.privacy import (
    PrivacyConfig,
    Redactor,
    insights,
    redact_corpus,
    redact_corpus_in_place,
)
from convoscope_common import collector
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults, PrivacyReport

# Share of overall progress given to redaction; the engine gets the rest up to 95 %.
_PRIVACY_SHARE = 0.2
_ENGINE_END = 0.95


@dataclass
class PipelineOutput:
    """The results plus the redacted corpus that exports without PII use; with the
    message index left encoded (``encoded_index``), the index beside the results."""

    results: AnalysisResults
    redacted_corpus: Corpus
    message_index: JoinedIndex | None = None


def run_pipeline(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    taxonomy: Taxonomy | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    in_place: bool = False,
    redactor: Redactor | None = None,
    prices: PriceTable | None = None,
    models: TopicModels | None = None,
    encoded_index: bool = False,
) -> PipelineOutput:
    """Redact (always, for exports), analyse (the redacted corpus when privacy is on).

    ``in_place=True`` hands the corpus over: with privacy on it is redacted in place
    and becomes ``redacted_corpus`` (one copy of the messages in memory instead of two),
    so the caller must not use it as the original afterwards. Results are the same.
    ``redactor`` replaces the default ``Redactor(privacy)`` for this one corpus.
    ``models`` fits and reads the topic models (default: in this process); it is
    prepared at once, so a process it starts gets ready while the corpus is redacted.
    ``encoded_index`` leaves the message index encoded (``output.message_index``; the
    results' list empty): what a service stores without decoding it.
    """
    if models is not None:
        models.prepare()

    def report(update: ProgressUpdate) -> None:
        if progress is not None:
            progress(update)

    total = sum(len(c.messages) for c in corpus.conversations)

    def privacy_progress(done: int, of: int) -> None:
        share = _PRIVACY_SHARE * (done / of if of else 1.0)
        report(
            ProgressUpdate(
                fraction=share,
                step="Detecting personal data",
                message=f"Scanned {done:,} of {of:,} messages",
            )
        )

    report(
        ProgressUpdate(
            fraction=0.0, step="Detecting personal data", message=f"Scanning {total:,} messages"
        )
    )
    if in_place and options.enable_privacy:
        # The engine needs only the redacted corpus: no raw copy is kept alongside it.
        privacy_report = redact_corpus_in_place(
            corpus, privacy, checkpoint=checkpoint, progress=privacy_progress, redactor=redactor
        )
        redacted = corpus
    else:
        redacted, privacy_report = redact_corpus(
            corpus, privacy, checkpoint=checkpoint, progress=privacy_progress, redactor=redactor
        )
    if options.enable_privacy:
        report(
            ProgressUpdate(
                fraction=_PRIVACY_SHARE,
                step="Detecting personal data",
                message="Personal data redacted",
                new_insights=insights(privacy_report),
            )
        )

    def engine_progress(update: ProgressUpdate) -> None:
        scaled = _PRIVACY_SHARE + update.fraction * (_ENGINE_END - _PRIVACY_SHARE)
        report(
            ProgressUpdate(
                fraction=scaled,
                step=update.step,
                message=update.message,
                new_insights=update.new_insights,
            )
        )

    run_options = engine_options(options, taxonomy, prices)
    with collector.long_lived_frozen():
        results, index = analyze_encoded(
            redacted if options.enable_privacy else corpus,
            run_options,
            progress=engine_progress,
            checkpoint=checkpoint,
            models=models,
        )
    # The engine recorded the options it ran with; redaction happened here, before it.
    results.options = msgspec.structs.replace(
        results.options, enable_privacy=options.enable_privacy
    )
    results.privacy = privacy_report if options.enable_privacy else PrivacyReport(enabled=False)
    return PipelineOutput(
        results=results,
        redacted_corpus=redacted,
        message_index=settled(results, index, encoded_index),
    )
