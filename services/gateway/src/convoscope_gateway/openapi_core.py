"""The core operations of the REST API (the seed contract's routes, health, metrics and
the OpenAPI document): one row each in the table that builds both router and document."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from convoscope_gateway.openapi import (
    _GUARDED,
    _JOB_ID,
    DRILLDOWN_FILTERS,
    Operation,
    _json,
    _path_param,
    _query_param,
    get_openapi,
)
from convoscope_gateway.routes import analysis, export, health, upload

_OBJECT: dict[str, Any] = {"type": "object"}
_EXPORT_ID = _path_param("export_id", "The id returned by POST /api/export.")

_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "description": "The export (Claude JSON or ZIP, legacy wrapper, ChatGPT) in the field `file`.",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "encoding": {"file": {"contentType": "application/json, application/zip"}},
        }
    },
}


def core_operations() -> tuple[Operation, ...]:
    """The seed contract's operations plus health, metrics and the document itself."""
    return (
        Operation(
            "post",
            "/api/upload",
            "uploadExport",
            "Upload a conversation export; returns its id, hash and metadata.",
            "upload",
            {200: ("Parsed (or already uploaded by this caller).", _json("UploadResponse"))},
            (400, 404, 408, 413, 415, 422, 503, 507, *_GUARDED),
            request_body=_UPLOAD_BODY,
            handler=upload.post_upload,
        ),
        Operation(
            "get",
            "/api/upload/{file_id}",
            "getUpload",
            "Metadata of an upload and whether cached results exist for it.",
            "upload",
            {200: ("The upload.", _json("UploadInfo"))},
            (404, *_GUARDED),
            parameters=(_path_param("file_id", "The id returned by POST /api/upload."),),
            handler=upload.get_upload,
        ),
        Operation(
            "delete",
            "/api/upload/{file_id}",
            "deleteUpload",
            "Delete an upload and everything made from it: the raw bytes, the corpus, "
            "every job, cached result and export; says how much was deleted.",
            "upload",
            {200: ("Deleted.", _json("UploadDeleted"))},
            (404, 503, *_GUARDED),
            parameters=(_path_param("file_id", "The id returned by POST /api/upload."),),
            handler=upload.delete_upload,
        ),
        Operation(
            "post",
            "/api/analysis",
            "startAnalysis",
            "Start an analysis job (complete at once when the result is cached).",
            "analysis",
            {
                201: ("Complete at once from the result cache.", _json("AnalysisAccepted")),
                202: ("Queued; follow it over Socket.IO or by polling.", _json("AnalysisAccepted")),
            },
            (400, 404, 413, 415, 422, 503, 507, *_GUARDED),
            request_body={"required": True, "content": _json("AnalysisRequest")},
            handler=analysis.post_analysis,
        ),
        Operation(
            "get",
            "/api/analysis/{job_id}",
            "getAnalysis",
            "Status and progress of a job, with the light results document once complete.",
            "analysis",
            {200: ("The job.", _json("AnalysisStatus"))},
            (404, *_GUARDED),
            parameters=(_JOB_ID,),
            handler=analysis.get_analysis,
        ),
        Operation(
            "delete",
            "/api/analysis/{job_id}",
            "deleteAnalysis",
            "Cancel a running job, or delete a finished one; its exports go, and its "
            "cached results once no other job uses them.",
            "analysis",
            {200: ("Cancelled and/or deleted.", _json("AnalysisDeleted"))},
            (404, *_GUARDED),
            parameters=(_JOB_ID,),
            handler=analysis.delete_analysis,
        ),
        Operation(
            "get",
            "/api/analysis/{job_id}/drilldown",
            "drilldownAnalysis",
            "The conversation and message ids behind an aggregate (filters combine with AND).",
            "analysis",
            {200: ("The matching ids.", _json("DrilldownResponse"))},
            (400, 404, 409, 422, 503, *_GUARDED),
            parameters=(
                _JOB_ID,
                *(_query_param(name, type_) for name, type_ in DRILLDOWN_FILTERS.items()),
                _query_param("cursor", str, "The next_cursor of the previous page (same filters)."),
                _query_param(
                    "limit", Annotated[int, msgspec.Meta(ge=1, le=10_000)], "Ids per page."
                ),
            ),
            handler=analysis.get_drilldown,
        ),
        Operation(
            "post",
            "/api/export",
            "startExport",
            "Render exports of a complete analysis (answers 202 if not done within seconds).",
            "export",
            {
                200: ("The export is complete.", _json("ExportResponse")),
                202: ("The export is still rendering; poll status_url.", _json("ExportResponse")),
            },
            (400, 403, 404, 409, 410, 413, 415, 422, 503, 507, *_GUARDED),
            request_body={"required": True, "content": _json("ExportRequest")},
            handler=export.post_export,
        ),
        Operation(
            "get",
            "/api/export/{export_id}",
            "getExport",
            "The state of an export and its files once complete.",
            "export",
            {200: ("The export.", _json("ExportResponse"))},
            (404, *_GUARDED),
            parameters=(_EXPORT_ID,),
            handler=export.get_export,
        ),
        Operation(
            "get",
            "/api/export/{export_id}/file/{filename}",
            "downloadExportFile",
            "Download one file of a complete export.",
            "export",
            {
                200: (
                    "The file, as an attachment, with the content type of its format.",
                    {
                        media: {}  # no schema: the bytes of the file, not a JSON document
                        for media in (
                            "text/csv",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "application/pdf",
                            "text/html",
                            "application/json",
                            "application/zip",
                            "application/octet-stream",
                        )
                    },
                )
            },
            (404, 410, *_GUARDED),
            parameters=(_EXPORT_ID, _path_param("filename", "A filename listed by the export.")),
            handler=export.get_export_file,
        ),
        Operation(
            "get",
            "/api/health",
            "getHealth",
            "Liveness, version, uptime, active jobs, cache size and the services seen.",
            "health",
            {
                200: ("Healthy or degraded.", _json("HealthResponse")),
                503: ("Unhealthy: the gateway has lost NATS.", _json("HealthResponse")),
            },
            (500,),
            public=True,
            handler=health.get_health,
        ),
        Operation(
            "get",
            "/metrics",
            "getMetrics",
            "Prometheus metrics of this gateway.",
            "health",
            {200: ("Prometheus text exposition.", {"text/plain": {"schema": {"type": "string"}}})},
            _GUARDED,
            handler=health.get_metrics,
        ),
        Operation(
            "get",
            "/api/openapi.json",
            "getOpenApi",
            "This document.",
            "health",
            {200: ("The OpenAPI 3.1 document.", {"application/json": {"schema": _OBJECT}})},
            _GUARDED,
            handler=get_openapi,
        ),
    )
