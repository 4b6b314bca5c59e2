"""Render the chosen report formats, one process per format when there are cores to spare.

The parallel rendering itself is the exporter's (:mod:`convoscope_exporter.parallel`),
so the command line and the service render the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.parallel import available_cores, can_fork, render_formats
from convoscope_exporter.pipeline import export_request, prepare_export
from convoscope_exporter.render import RenderedFile

__all__ = ["available_cores", "can_fork", "render_reports"]


def render_reports(
    formats: list[str],
    results: AnalysisResults,
    corpus: Corpus,
    *,
    job_id: str,
    export_id: str,
    include_pii: bool,
    raw_filter: dict[str, object] | None = None,
    file_hash: str = "",
    created_at: datetime | None = None,
    jobs: int = 1,
    on_rendered: Callable[[str, int, int], None] | None = None,
) -> list[RenderedFile]:
    """The files of every format, in the order of ``formats``: the exporter's own
    ``prepare_export``, then each format rendered by one of up to ``jobs`` processes.
    ``on_rendered(fmt, done, total)`` is called as each format finishes.

    Raises ``InvalidFilterError`` / ``UnsupportedExportFormatError`` before rendering.
    """
    prepared = prepare_export(
        export_request(
            formats,
            export_id=export_id,
            job_id=job_id,
            include_pii=include_pii,
            raw_filter=raw_filter,
            file_hash=file_hash,
            created_at=created_at,
        ),
        results,
        corpus,
    )

    def rendered(fmt: str, _files: list[RenderedFile], done: int, total: int) -> None:
        if on_rendered is not None:
            on_rendered(fmt, done, total)

    by_format = render_formats(prepared, jobs, rendered)
    return [file for fmt in prepared.formats for file in by_format[fmt]]
