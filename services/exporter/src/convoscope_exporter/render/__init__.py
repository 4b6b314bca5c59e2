"""Render an export: one entry point, one renderer per format.

The inputs are already filtered (see :mod:`convoscope_exporter.filtering`) and the
corpus already redacted unless the caller passed ``include_pii``; renderers never
re-run analysis.
"""

from __future__ import annotations

from collections.abc import Callable

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.manifest import ExportManifest
from convoscope_exporter.render.csv_zip import render_csv
from convoscope_exporter.render.files import RenderedFile
from convoscope_exporter.render.html import render_html
from convoscope_exporter.render.json_export import render_json
from convoscope_exporter.render.pdf import render_pdf
from convoscope_exporter.render.xlsx import render_xlsx

Renderer = Callable[..., list[RenderedFile]]

RENDERERS: dict[str, Renderer] = {
    "csv": render_csv,
    "xlsx": render_xlsx,
    "pdf": render_pdf,
    "html": render_html,
    "json": render_json,
}
SUPPORTED_FORMATS: tuple[str, ...] = tuple(RENDERERS)

__all__ = ["SUPPORTED_FORMATS", "RenderedFile", "render_export"]


def render_export(
    fmt: str, results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """Render ``results`` + ``corpus`` as ``fmt`` (csv, xlsx, pdf, html or json).

    Raises :class:`UnsupportedExportFormatError` for any other format.
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise UnsupportedExportFormatError(fmt, SUPPORTED_FORMATS)
    return renderer(results, corpus, manifest=manifest)
