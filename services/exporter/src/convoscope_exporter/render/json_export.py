"""JSON export: the (filtered) results with the manifest as a top-level key."""

from __future__ import annotations

import msgspec

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.manifest import ExportManifest
from convoscope_exporter.render.files import RenderedFile, rendered


class JsonExport(msgspec.Struct, kw_only=True):
    """The JSON document: ``{"manifest": ..., "results": ...}``."""

    manifest: ExportManifest
    results: AnalysisResults


def render_json(
    results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """The results as JSON; the corpus is not included (the CSV export carries messages)."""
    del corpus  # same signature as the other renderers
    data = msgspec.json.encode(JsonExport(manifest=manifest, results=results))
    return [rendered(manifest.job_id, "json", data)]
