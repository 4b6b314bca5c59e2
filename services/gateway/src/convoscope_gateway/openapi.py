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
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from convoscope_common.api import (
    AnalysisAccepted,
    AnalysisDeleted,
    AnalysisRequest,
    AnalysisStatus,
    DrilldownResponse,
    ErrorBody,
    ExportRequest,
    ExportResponse,
    HealthResponse,
    HealthStatus,
    UploadDeleted,
    UploadInfo,
    UploadResponse,
)
from convoscope_common.collection_types import (
    CollectionAnalysisRequest,
    CollectionCreate,
    CollectionDeleted,
    CollectionInfo,
    CollectionList,
    CollectionUploads,
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
    HealthStatus,
    ErrorBody,
    ConversationPage,
    ConversationDetail,
    MessagePage,
    FailurePage,
    PrivacyFindingPage,
    UploadPage,
    AnalysisPage,
    CollectionCreate,
    CollectionUploads,
    CollectionAnalysisRequest,
    CollectionInfo,
    CollectionList,
    CollectionDeleted,
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
    """One method on one path: its handler, what it takes and every status it can answer.

    The one table of the API: the aiohttp router is built from it (``app.setup_routes``)
    and so is the OpenAPI document, so neither can list a route the other lacks.
    """

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
    handler: Handler = field(kw_only=True)
    # The router's pattern when it differs from the documented path (a regex segment).
    route: str | None = field(default=None, kw_only=True)

    @property
    def router_path(self) -> str:
        """The path as the aiohttp router matches it."""
        return self.route or self.path


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": SCHEMA_REF.format(name=name)}}}


def _json_either(*names: str) -> dict[str, Any]:
    refs = [{"$ref": SCHEMA_REF.format(name=name)} for name in names]
    return {"application/json": {"schema": {"anyOf": refs}}}


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


_JOB_ID = _path_param("job_id", "The id returned by POST /api/analysis.")


def _operations() -> tuple[Operation, ...]:
    # Imported here: the operation tables build on this module's helpers.
    from convoscope_gateway.openapi_browse import browse_operations, web_operations
    from convoscope_gateway.openapi_collections import collection_operations
    from convoscope_gateway.openapi_core import core_operations

    return core_operations() + collection_operations() + browse_operations() + web_operations()


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
            {"name": "collections"},
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


def operations() -> tuple[Operation, ...]:
    """Every operation of the API, with its handler (the router's table)."""
    return _operations()


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
