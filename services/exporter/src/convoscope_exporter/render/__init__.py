"""Render an export: one entry point, one renderer per format.

The inputs are already filtered (see :mod:`convoscope_exporter.filtering`) and the
corpus already redacted unless the caller passed ``include_pii``; renderers never
re-run analysis.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.manifest import ExportManifest
from convoscope_exporter.render.files import RenderedFile

Renderer = Callable[..., list[RenderedFile]]

# Each format's renderer, imported when first used: a process that renders one format
# (the exporter service starts one per format) loads only that format's libraries —
# XlsxWriter, reportlab and the fonts are tens of megabytes once imported.
_RENDERER_PATHS: dict[str, tuple[str, str]] = {
    "csv": ("convoscope_exporter.render.csv_zip", "render_csv"),
    "xlsx": ("convoscope_exporter.render.xlsx", "render_xlsx"),
    "pdf": ("convoscope_exporter.render.pdf", "render_pdf"),
    "html": ("convoscope_exporter.render.html", "render_html"),
    "json": ("convoscope_exporter.render.json_export", "render_json"),
}
SUPPORTED_FORMATS: tuple[str, ...] = tuple(_RENDERER_PATHS)


def renderer_for(fmt: str) -> Renderer:
    """The renderer of ``fmt`` (its module imported now); raises
    :class:`UnsupportedExportFormatError` for a format that has none."""
    path = _RENDERER_PATHS.get(fmt)
    if path is None:
        raise UnsupportedExportFormatError(fmt, SUPPORTED_FORMATS)
    module, name = path
    renderer: Renderer = getattr(importlib.import_module(module), name)
    return renderer


__all__ = ["SUPPORTED_FORMATS", "RenderedFile", "render_export", "renderer_for"]


def render_export(
    fmt: str, results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """Render ``results`` + ``corpus`` as ``fmt`` (csv, xlsx, pdf, html or json).

    Raises :class:`UnsupportedExportFormatError` for any other format.
    """
    return renderer_for(fmt)(results, corpus, manifest=manifest)
