"""The export manifest: what every export says about where its numbers come from."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from convoscope_common.corpus import CORPUS_SCHEMA_VERSION
from convoscope_common.options import ExportFilter
from convoscope_common.results import AnalysisResults
from convoscope_exporter.filtering import NOT_RECOMPUTED, RECOMPUTED

MANIFEST_VERSION = 1
EXPORTER_VERSION = "0.1.0"


class ManifestOptions(msgspec.Struct, kw_only=True, omit_defaults=False):
    """The export options that change content."""

    include_pii: bool = False


class ExportManifest(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Provenance of one export; rendered into every file (manifest.json, sheet, section)."""

    manifest_version: int = MANIFEST_VERSION
    export_id: str
    job_id: str
    file_hash: str = ""
    created_at: datetime
    formats: list[str] = []
    engine_version: str
    results_schema_version: int
    corpus_schema_version: int = CORPUS_SCHEMA_VERSION
    exporter_version: str = EXPORTER_VERSION
    timezone: str = "UTC"
    options: ManifestOptions = msgspec.field(default_factory=ManifestOptions)
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)
    filter_applied: bool = False
    # Which aggregates were recomputed for the filter and which still describe the whole corpus.
    recomputed_aggregates: list[str] = []
    whole_corpus_aggregates: list[str] = []


def build_manifest(
    *,
    results: AnalysisResults,
    export_id: str,
    job_id: str,
    formats: list[str],
    include_pii: bool,
    flt: ExportFilter,
    file_hash: str = "",
    created_at: datetime | None = None,
) -> ExportManifest:
    """Assemble the manifest of an export of ``results`` (unfiltered results: versions come
    from them); ``created_at`` defaults to now (UTC)."""
    applied = not flt.is_empty()
    return ExportManifest(
        export_id=export_id,
        job_id=job_id,
        file_hash=file_hash,
        created_at=created_at or datetime.now(UTC),
        formats=list(formats),
        engine_version=results.engine_version,
        results_schema_version=results.schema_version,
        timezone=results.options.timezone,
        options=ManifestOptions(include_pii=include_pii),
        filter=flt,
        filter_applied=applied,
        recomputed_aggregates=list(RECOMPUTED) if applied else [],
        whole_corpus_aggregates=list(NOT_RECOMPUTED) if applied else [],
    )


def manifest_to_builtins(manifest: ExportManifest) -> dict[str, object]:
    """The manifest as plain JSON-compatible data (for JSON, sheets and report sections)."""
    data = msgspec.to_builtins(manifest)
    assert isinstance(data, dict)
    return data


def manifest_json(manifest: ExportManifest) -> bytes:
    """The manifest as indented JSON bytes (manifest.json)."""
    return msgspec.json.format(msgspec.json.encode(manifest), indent=2)


def manifest_rows(manifest: ExportManifest) -> list[tuple[str, str]]:
    """Flat (key, value) pairs for tabular formats; lists are joined with ", "."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            rows.append((prefix, ", ".join(str(v) for v in value)))
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", manifest_to_builtins(manifest))
    return rows
