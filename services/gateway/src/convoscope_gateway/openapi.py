"""The OpenAPI 3.1 document of the REST API, built from the msgspec types the handlers use.

Schemas come from ``msgspec.json.schema_components`` over the same Structs the
routes decode and encode, so the document cannot drift from the code's types.
Paths, parameters and statuses are declared here, one table entry per route of
``app.setup_routes`` (a unit test keeps the two in step).

``python -m convoscope_gateway.openapi > docs/openapi.json`` regenerates the
committed copy.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from convoscope_common.messages import (
    AnalysisAccepted,
    AnalysisDeleted,
    AnalysisRequest,
    AnalysisStatus,
    DrilldownResponse,
    ErrorBody,
    ExportRequest,
    ExportResponse,
    HealthResponse,
    UploadDeleted,
    UploadInfo,
    UploadResponse,
)
from convoscope_common.results import FailureType, SentimentLabel, Severity, TaskCompletion
from convoscope_common.schemas import schema_components
from convoscope_gateway import __version__
from convoscope_gateway.browse_types import (
    AnalysisPage,
    ConversationDetail,
    ConversationPage,
    FailurePage,
    MessagePage,
    PrivacyFindingPage,
    UploadPage,
)

SCHEMA_REF = "#/components/schemas/{name}"

# Every Struct that appears in a request or response body.
API_TYPES: tuple[type[msgspec.Struct], ...] = (
    UploadResponse,
    UploadInfo,
    UploadDeleted,
    AnalysisRequest,
    AnalysisAccepted,
    AnalysisStatus,
    AnalysisDeleted,
    DrilldownResponse,
    ExportRequest,
    ExportResponse,
    HealthResponse,
    ErrorBody,
    ConversationPage,
    ConversationDetail,
    MessagePage,
    FailurePage,
    PrivacyFindingPage,
    UploadPage,
    AnalysisPage,
)

# Error statuses the API documents, each answered with an ErrorBody.
ERROR_STATUSES: dict[int, str] = {
    400: "The request is malformed (bad JSON, bad multipart, empty file).",
    401: "An API key is required or the key is not valid.",
    403: "The operation is not allowed on this server.",
    404: "No such resource for this caller (it may have expired).",
    408: "The upload did not arrive within CONVOSCOPE_UPLOAD_TIMEOUT.",
    409: "The resource is not in a state that allows this operation.",
    410: "The data behind the resource has expired.",
    413: "The body or the uploaded file is larger than the server allows.",
    415: "The body has the wrong content type, or the upload is not a supported export.",
    422: "The request is well-formed but its content is not valid.",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
    500: "An unexpected error; the body never carries a stack trace.",
    503: "A service the gateway needs did not answer; retry shortly.",
    507: "The server's storage is full; nothing was half-written.",
}

# The query filters of the drill-down, typed as the analyzer validates them
# (convoscope_analyzer.engine.drilldown.DrilldownQuery; a unit test compares the two).
DRILLDOWN_FILTERS: dict[str, Any] = {
    "sentiment_label": SentimentLabel,
    "topic_id": str,
    "failure_type": FailureType,
    "severity": Severity,
    "date": Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")],
    "month": Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$")],
    "weekday": Annotated[int, msgspec.Meta(ge=0, le=6)],
    "hour": Annotated[int, msgspec.Meta(ge=0, le=23)],
    "role": Literal["user", "assistant"],
    "task_completion": TaskCompletion,
    "conversation_id": str,
}

# Statuses every route behind the auth and rate-limit middlewares can answer.
_GUARDED = (401, 429, 500)


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes and every status it can answer."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    responses: dict[int, tuple[str, dict[str, Any]]]  # status -> (description, content)
    errors: tuple[int, ...] = ()
    parameters: tuple[dict[str, Any], ...] = ()
    request_body: dict[str, Any] | None = None
    public: bool = False  # no API key, no rate limit


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": SCHEMA_REF.format(name=name)}}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _query_param(name: str, type_: Any, description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": msgspec.json.schema(type_),
    }
    if description:
        param["description"] = description
    return param


_OBJECT: dict[str, Any] = {"type": "object"}
_JOB_ID = _path_param("job_id", "The id returned by POST /api/analysis.")
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


def _operations() -> tuple[Operation, ...]:
    # Imported here: the browsing routes' table builds on this module's helpers.
    from convoscope_gateway.openapi_browse import browse_operations, web_operations

    return _core_operations() + browse_operations() + web_operations()


def _core_operations() -> tuple[Operation, ...]:
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
            ),
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
        ),
        Operation(
            "get",
            "/metrics",
            "getMetrics",
            "Prometheus metrics of this gateway.",
            "health",
            {200: ("Prometheus text exposition.", {"text/plain": {"schema": {"type": "string"}}})},
            _GUARDED,
        ),
        Operation(
            "get",
            "/api/openapi.json",
            "getOpenApi",
            "This document.",
            "health",
            {200: ("The OpenAPI 3.1 document.", {"application/json": {"schema": _OBJECT}})},
            _GUARDED,
        ),
    )


def _error_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, description in ERROR_STATUSES.items():
        response: dict[str, Any] = {"description": description, "content": _json("ErrorBody")}
        if status == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
        responses[f"Error{status}"] = response
    return responses


def _operation_object(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(status): {"description": description, "content": content}
        for status, (description, content) in op.responses.items()
    }
    for status in sorted(op.errors):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    obj: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.parameters:
        obj["parameters"] = list(op.parameters)
    if op.request_body is not None:
        obj["requestBody"] = op.request_body
    obj["responses"] = dict(sorted(responses.items()))
    if op.public:
        obj["security"] = []
    return obj


def _any_value_schema(type_: Any) -> dict[str, Any]:
    # ``object`` (e.g. the free-form export filter) accepts any JSON value; msgspec
    # refuses an empty schema from a hook, so the "any" schema carries a description.
    if type_ is object:
        return {"description": "Any JSON value."}
    raise NotImplementedError(f"no JSON schema for {type_!r}")


def build_openapi(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the REST API for gateway ``version``."""
    _, schemas = schema_components(
        API_TYPES, schema_hook=_any_value_schema, ref_template=SCHEMA_REF
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in _operations():
        paths.setdefault(op.path, {})[op.method] = _operation_object(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ConvoScope API",
            "version": version,
            "description": (
                "Self-hosted analytics for AI-assistant conversation exports. "
                "Job progress is also pushed over Socket.IO (events progress, complete, "
                "error, cancelled in the room of a job after `subscribe`)."
            ),
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "upload"},
            {"name": "analysis"},
            {"name": "export"},
            {"name": "health"},
            {"name": "browse"},
            {"name": "web"},
        ],
        # Keys are optional: a server without CONVOSCOPE_API_KEYS accepts anonymous calls.
        "security": [{}, {"ApiKey": []}, {"Bearer": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": _error_responses(),
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def route_table() -> set[tuple[str, str]]:
    """Every (METHOD, path) the document describes."""
    return {(op.method.upper(), op.path) for op in _operations()}


@functools.cache
def _document_bytes(version: str) -> bytes:
    return msgspec.json.encode(build_openapi(version))


async def get_openapi(_request: web.Request) -> web.Response:
    """``GET /api/openapi.json``: this gateway's OpenAPI document (built once)."""
    return web.Response(body=_document_bytes(__version__), content_type="application/json")


def render(version: str = __version__) -> str:
    """The document as the committed docs/openapi.json text (indented, newline-terminated)."""
    return json.dumps(build_openapi(version), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
