"""The whole export in one call: parse the filter, apply it, build the manifest, render.

Pure: bytes in memory only. The NATS worker loads results + corpus, calls
:func:`export_files`, and stores the files.
"""

from __future__ import annotations

from datetime import datetime

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.filtering import apply_filter, parse_filter
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import SUPPORTED_FORMATS, RenderedFile, render_export


def export_files(
    formats: list[str],
    results: AnalysisResults,
    corpus: Corpus,
    *,
    export_id: str,
    job_id: str,
    include_pii: bool,
    raw_filter: dict[str, object] | None = None,
    file_hash: str = "",
    created_at: datetime | None = None,
) -> list[RenderedFile]:
    """Render every requested format of one export (files in the order of ``formats``).

    ``corpus`` must already be the redacted corpus unless ``include_pii`` was allowed.
    Raises :class:`~convoscope_exporter.errors.InvalidFilterError` or
    :class:`~convoscope_exporter.errors.UnsupportedExportFormatError` before rendering
    anything.
    """
    unknown = [f for f in formats if f not in SUPPORTED_FORMATS]
    if unknown:
        raise UnsupportedExportFormatError(unknown[0], SUPPORTED_FORMATS)
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
    files: list[RenderedFile] = []
    for fmt in dict.fromkeys(formats):  # a format asked twice is rendered once
        files.extend(render_export(fmt, filtered_results, filtered_corpus, manifest=manifest))
    return files
