"""``convoscope analyze`` without a server: ingest -> privacy + engine -> renderers, in-process.

The same pure entry points the services call (``parse_export``, ``run_pipeline``, the
exporter's filter/manifest/renderers) with the same settings from the environment, so
results equal the service's for the same input, options and engine version. No NATS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from convoscope_cli.errors import AnalysisFailedError, ExportRejectedError, UsageError
from convoscope_cli.options import AnalyzeRequest
from convoscope_cli.progress import Reporter

if TYPE_CHECKING:
    from convoscope_analyzer.engine import Taxonomy
    from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.clock import utcnow
from convoscope_common.config import ConfigurationError, Settings, load_settings
from convoscope_common.corpus import encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.pricing import load_price_table
from convoscope_common.results import AnalysisResults, decode_results, encode_results
from convoscope_common.wire import FileMetadata
from convoscope_exporter.errors import InvalidFilterError
from convoscope_ingest.errors import IngestError
from convoscope_ingest.parsing import ParseLimits, parse_export

# Overall progress: reading and parsing, then the analysis pipeline (which reports
# 0..0.95 of its own), then rendering.
_PARSED = 0.05
_ANALYSED = 0.85
# Names of a local run in the manifest and the file names (convoscope-local.html, ...).
LOCAL_JOB_ID = "local"


@dataclass
class RunOutcome:
    """What one analyze run produced, for the summary."""

    metadata: FileMetadata
    results: AnalysisResults
    paths: list[Path]
    file_hash: str


def job_config(settings: Settings) -> tuple[PrivacyConfig, Taxonomy | None]:
    """The redaction settings and the taxonomy, read exactly as the analyzer reads them."""
    from convoscope_analyzer.job_config import load_job_config
    from convoscope_common.config import ConfigurationError

    try:
        return load_job_config(settings)
    except ConfigurationError as exc:
        raise UsageError(str(exc)) from None


def read_export(path: Path) -> bytes:
    """The export's bytes, or :class:`UsageError` when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; give the export file (JSON or ZIP)") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def run_local(request: AnalyzeRequest, reporter: Reporter) -> RunOutcome:
    """Analyse ``request.export`` in this process and write the reports to ``out_dir``."""
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        raise UsageError(str(exc)) from None
    reporter.update(0.0, "Reading the export", str(request.export))
    data = read_export(request.export)
    file_hash = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        parsed = parse_export(data, limits=ParseLimits.from_settings(settings))
    except IngestError as exc:
        raise ExportRejectedError(exc.code, exc.status, exc.message) from None
    except Exception as exc:  # the service answers 500 internal_error for the same
        raise AnalysisFailedError(
            f"the file could not be processed because of an internal error ({type(exc).__name__})"
        ) from None
    del data
    # The analysis modules (scikit-learn, VADER, renderers) load only once the export
    # was accepted: a rejected file is answered at once.
    from convoscope_analyzer.corpus_loading import load_corpus
    from convoscope_analyzer.engine import ProgressUpdate
    from convoscope_analyzer.pipeline import run_pipeline
    from convoscope_cli.detection import detect_in_parallel
    from convoscope_cli.render import render_reports

    privacy, taxonomy = job_config(settings)
    metadata = parsed.metadata
    # The service hands the corpus from ingest to the analyzer, and the results from the
    # analyzer to the exporter, as msgpack: the same round trips here give the same types
    # (an engine int in a float field renders as 58.0 after it, as 58 before).
    # One form of the corpus in memory at a time: the parsed one is freed before loading.
    blob = encode_corpus(parsed.corpus)
    del parsed
    corpus = load_corpus(blob)
    del blob
    reporter.start(metadata.messages)
    reporter.update(
        _PARSED,
        "Parsed the export",
        f"{metadata.conversations:,} conversations, {metadata.messages:,} messages",
    )

    shown = _PARSED  # progress never goes backwards on screen

    def on_progress(update: ProgressUpdate) -> None:
        nonlocal shown
        fraction = _PARSED + update.fraction / 0.95 * (_ANALYSED - _PARSED)
        shown = max(shown, min(fraction, _ANALYSED))
        reporter.update(shown, update.step, update.message, update.new_insights)

    def on_detected(done: int, total: int) -> None:
        # Detection is most of the pipeline's privacy share (0.2 of its 0..0.95).
        on_progress(
            ProgressUpdate(
                fraction=0.18 * done / total,
                step="Detecting personal data",
                message=f"Scanned {done:,} of {total:,} messages on {request.jobs} cores",
            )
        )

    options = AnalysisOptions(timezone=request.timezone)
    try:
        # Detection on every core; the redaction itself then runs here, in order.
        redactor = detect_in_parallel(corpus, privacy, request.jobs, progress=on_detected)
        # Without --no-redact the original corpus is never needed again: redact in place.
        output = run_pipeline(
            corpus,
            options,
            privacy,
            taxonomy=taxonomy,
            prices=load_price_table(settings),
            progress=on_progress,
            in_place=not request.include_pii,
            redactor=redactor,
        )
    except Exception as exc:
        raise AnalysisFailedError(
            f"the analysis failed because of an internal error ({type(exc).__name__})"
        ) from None
    results = output.results
    results.generated_at = utcnow()
    results = decode_results(encode_results(results))
    # The service renders exports with personal data from the original corpus.
    report_corpus = corpus if request.include_pii else output.redacted_corpus
    del output, corpus

    def on_rendered(fmt: str, done: int, total: int) -> None:
        fraction = _ANALYSED + (1 - _ANALYSED) * done / total
        reporter.update(fraction, "Rendering reports", f"{fmt} ({done} of {total})")

    reporter.update(_ANALYSED, "Rendering reports", ", ".join(request.formats))
    try:
        files = render_reports(
            request.formats,
            results,
            report_corpus,
            job_id=LOCAL_JOB_ID,
            export_id=LOCAL_JOB_ID,
            include_pii=request.include_pii,
            raw_filter=request.filter or None,
            file_hash=file_hash,
            jobs=request.jobs,
            on_rendered=on_rendered,
        )
    except InvalidFilterError as exc:
        raise UsageError(f"--filter: {exc}") from None
    except Exception as exc:
        raise AnalysisFailedError(
            f"the reports could not be rendered ({type(exc).__name__})"
        ) from None
    paths = write_files(request.out_dir, [(f.filename, f.data) for f in files])
    reporter.update(1.0, "Done", f"{len(paths)} files written")
    return RunOutcome(metadata=metadata, results=results, paths=paths, file_hash=file_hash)


def write_files(out_dir: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write each file into ``out_dir`` (created if needed); a name never leaves the folder."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for name, data in files:
            path = out_dir / Path(name).name
            path.write_bytes(data)
            paths.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write the reports into {out_dir}: {exc.strerror}") from None
    return paths
