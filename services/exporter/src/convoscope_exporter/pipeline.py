"""An export ready to render: parse the filter, apply it, build the manifest.

Pure: bytes in memory only. The command line loads results + corpus, calls
:func:`prepare_export` with an :class:`ExportRequest` and renders its formats in
parallel processes (:func:`convoscope_exporter.parallel.render_formats`); the NATS worker
hands the stored files to fresh rendering processes instead, which read and prepare them
themselves (:mod:`convoscope_exporter.stored`). Each format is
:meth:`PreparedExport.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec

from convoscope_common.corpus import Corpus
from convoscope_common.options import ExportFilter
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.filtering import apply_filter, parse_filter
from convoscope_exporter.manifest import ExportManifest, build_manifest
from convoscope_exporter.render import SUPPORTED_FORMATS, RenderedFile, render_export
from convoscope_exporter.share_safe import SHARE_SAFE_FORMATS, build_report


def needs_corpus(fmt: str, flt: ExportFilter, share_safe_k: int | None) -> bool:
    """Whether rendering ``fmt`` reads the corpus: a filter selects from it, and every
    full-report format but ``json`` (the results document) shows conversations."""
    return not flt.is_empty() or (share_safe_k is None and fmt != "json")


@dataclass(frozen=True)
class PreparedExport:
    """An export ready to render: filtered results and corpus, the manifest, the formats.

    ``corpus`` is None when none of the formats it renders reads it (see
    :func:`needs_corpus`)."""

    formats: list[str]
    results: AnalysisResults
    corpus: Corpus | None
    manifest: ExportManifest
    # The small-cell threshold of a share-safe report; None for the full report.
    share_safe_k: int | None = None

    def prepared_for(self, fmt: str) -> PreparedExport:
        """What renders ``fmt``: this export (its inputs are already decoded)."""
        del fmt
        return self

    def render(self, fmt: str) -> list[RenderedFile]:
        """The files of one format."""
        if self.share_safe_k is not None:
            # Imported here: reportlab is loaded only by a process that renders a PDF.
            from convoscope_exporter.render.share_safe_render import render_share_safe

            report = build_report(self.results, self.share_safe_k)
            return render_share_safe(fmt, report, self.manifest.job_id)
        corpus = self.corpus
        if corpus is None:
            if fmt != "json":
                raise ValueError(f"the {fmt} export needs the corpus; it was not loaded")
            corpus = Corpus()  # the json export reads no conversation
        return render_export(fmt, self.results, corpus, manifest=self.manifest)


class ExportRequest(msgspec.Struct, kw_only=True, frozen=True):
    """What one export is asked to render, apart from its inputs: the formats, the ids
    the manifest names, the options. Built once (:func:`export_request` checks it) and
    handed to :func:`prepare_export` or :class:`~convoscope_exporter.stored.StoredExport`
    (and, encoded, to the processes that render a stored export)."""

    formats: list[str]
    export_id: str
    job_id: str
    include_pii: bool
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)
    file_hash: str = ""
    # The manifest's creation time; None means "now" where the manifest is built.
    created_at: datetime | None = None
    # The small-cell threshold of a share-safe report; None for the full report.
    share_safe_k: int | None = None


def export_request(
    formats: list[str],
    *,
    export_id: str,
    job_id: str,
    include_pii: bool,
    raw_filter: dict[str, object] | ExportFilter | None = None,
    file_hash: str = "",
    created_at: datetime | None = None,
    share_safe_k: int | None = None,
) -> ExportRequest:
    """A checked request: raises :class:`~convoscope_exporter.errors.InvalidFilterError` or
    :class:`~convoscope_exporter.errors.UnsupportedExportFormatError` before anything is
    read or rendered."""
    flt = check_request(formats, raw_filter, share_safe_k is not None)
    return ExportRequest(
        formats=list(formats),
        export_id=export_id,
        job_id=job_id,
        include_pii=include_pii,
        filter=flt,
        file_hash=file_hash,
        created_at=created_at,
        share_safe_k=share_safe_k,
    )


def check_request(
    formats: list[str], raw_filter: dict[str, object] | ExportFilter | None, share_safe: bool
) -> ExportFilter:
    """The parsed filter, once the formats are known to be supported.

    Raises :class:`~convoscope_exporter.errors.InvalidFilterError` or
    :class:`~convoscope_exporter.errors.UnsupportedExportFormatError`.
    """
    allowed = SHARE_SAFE_FORMATS if share_safe else SUPPORTED_FORMATS
    unknown = [f for f in formats if f not in allowed]
    if unknown:
        raise UnsupportedExportFormatError(unknown[0], allowed)
    return parse_filter(raw_filter)


def prepare_export(
    request: ExportRequest, results: AnalysisResults, corpus: Corpus | None
) -> PreparedExport:
    """Build the manifest and apply the filter of ``request`` (nothing rendered yet).

    ``corpus`` must already be the redacted corpus unless ``include_pii`` was allowed;
    it may be None when no format reads it (:func:`needs_corpus`).
    Raises :class:`~convoscope_exporter.errors.InvalidFilterError` or
    :class:`~convoscope_exporter.errors.UnsupportedExportFormatError`.
    """
    flt = check_request(request.formats, request.filter, request.share_safe_k is not None)
    if corpus is None and not flt.is_empty():
        raise ValueError("a filter selects from the corpus: it must be given")
    manifest = build_manifest(
        results=results,
        export_id=request.export_id,
        job_id=request.job_id,
        formats=request.formats,
        include_pii=request.include_pii,
        flt=flt,
        file_hash=request.file_hash,
        created_at=request.created_at,
    )
    if corpus is None:  # an empty filter: nothing to select from
        filtered_results, filtered_corpus = results, None
    else:
        filtered_results, filtered_corpus = apply_filter(results, corpus, flt)
    # A format asked twice is rendered once.
    return PreparedExport(
        list(dict.fromkeys(request.formats)),
        filtered_results,
        filtered_corpus,
        manifest,
        request.share_safe_k,
    )
