"""An export ready to render: parse the filter, apply it, build the manifest.

Pure: bytes in memory only. The NATS worker and the command line load results +
corpus, call :func:`prepare_export` and render its formats in parallel processes
(:func:`convoscope_exporter.parallel.render_formats`); each format is
:meth:`PreparedExport.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from convoscope_common.corpus import Corpus
from convoscope_common.options import ExportFilter
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.filtering import apply_filter, parse_filter
from convoscope_exporter.manifest import ExportManifest, build_manifest
from convoscope_exporter.render import SUPPORTED_FORMATS, RenderedFile, render_export
from convoscope_exporter.render.share_safe_render import SHARE_SAFE_FORMATS, render_share_safe
from convoscope_exporter.share_safe import build_report


@dataclass(frozen=True)
class PreparedExport:
    """An export ready to render: filtered results and corpus, the manifest, the formats."""

    formats: list[str]
    results: AnalysisResults
    corpus: Corpus
    manifest: ExportManifest
    # The small-cell threshold of a share-safe report; None for the full report.
    share_safe_k: int | None = None

    def render(self, fmt: str) -> list[RenderedFile]:
        """The files of one format."""
        if self.share_safe_k is not None:
            report = build_report(self.results, self.share_safe_k)
            return render_share_safe(fmt, report, self.manifest.job_id)
        return render_export(fmt, self.results, self.corpus, manifest=self.manifest)


def prepare_export(
    formats: list[str],
    results: AnalysisResults,
    corpus: Corpus,
    *,
    export_id: str,
    job_id: str,
    include_pii: bool,
    raw_filter: dict[str, object] | ExportFilter | None = None,
    file_hash: str = "",
    created_at: datetime | None = None,
    share_safe_k: int | None = None,
) -> PreparedExport:
    """Check the request, build the manifest and apply the filter (nothing rendered yet).

    ``corpus`` must already be the redacted corpus unless ``include_pii`` was allowed.
    Raises :class:`~convoscope_exporter.errors.InvalidFilterError` or
    :class:`~convoscope_exporter.errors.UnsupportedExportFormatError`.
    """
    allowed = SUPPORTED_FORMATS if share_safe_k is None else SHARE_SAFE_FORMATS
    unknown = [f for f in formats if f not in allowed]
    if unknown:
        raise UnsupportedExportFormatError(unknown[0], allowed)
    flt = parse_filter(raw_filter)
    manifest = build_manifest(
        results=results,
        export_id=export_id,
        job_id=job_id,
        formats=formats,
        include_pii=include_pii,
        flt=flt,
        file_hash=file_hash,
        created_at=created_at,
    )
    filtered_results, filtered_corpus = apply_filter(results, corpus, flt)
    # A format asked twice is rendered once.
    return PreparedExport(
        list(dict.fromkeys(formats)), filtered_results, filtered_corpus, manifest, share_safe_k
    )
