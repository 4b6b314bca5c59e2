"""The gateway's URLs: workers publish ids, the gateway turns them into links.

The gateway mints both kinds of id (``job_…`` for analyses, ``export_…`` for
exports, :func:`convoscope_common.clock.new_id`), so it can tell them apart.
"""

from __future__ import annotations

from convoscope_common.api import ExportFile
from convoscope_common.light import ResultPage
from convoscope_common.records import ExportedFile

# The browsing route of each paginated collection of an analysis, under its URL.
_PAGE_PATHS = {
    "conversations": "conversations",
    "messages": "messages",
    "failures": "failures",
    "privacy_findings": "privacy",
}


def analysis_url(job_id: str) -> str:
    """Status and results of an analysis job."""
    return f"/api/analysis/{job_id}"


def result_pages(job_id: str, totals: dict[str, int]) -> dict[str, ResultPage]:
    """The paginated collections of an analysis (``light.page_totals``) with their links."""
    base = analysis_url(job_id)
    return {
        name: ResultPage(url=f"{base}/{_PAGE_PATHS[name]}", total=total)
        for name, total in totals.items()
    }


def export_url(export_id: str) -> str:
    """Status and files of an export."""
    return f"/api/export/{export_id}"


def export_file_url(export_id: str, filename: str) -> str:
    """Download of one file of an export."""
    return f"/api/export/{export_id}/file/{filename}"


def is_export_id(job_or_export_id: str) -> bool:
    """True for an export id, False for an analysis job id."""
    return job_or_export_id.startswith("export_")


def result_url(job_or_export_id: str) -> str:
    """Where the result of a job announced by ``complete`` can be read."""
    if is_export_id(job_or_export_id):
        return export_url(job_or_export_id)
    return analysis_url(job_or_export_id)


def with_urls(export_id: str, files: list[ExportedFile]) -> list[ExportFile]:
    """The export's stored files with their download links."""
    return [
        ExportFile(
            format=file.format,
            filename=file.filename,
            url=export_file_url(export_id, file.filename),
            size=file.size,
            content_type=file.content_type,
        )
        for file in files
    ]
