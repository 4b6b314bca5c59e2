"""The OpenAPI document: valid 3.1, in step with the routes and types, committed copy fresh."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from convoscope_common.api import (
    AnalysisDeleted,
    AnalysisStatus,
    DrilldownResponse,
    ErrorBody,
    ExportFile,
    ExportResponse,
    HealthResponse,
    UploadInfo,
)
from convoscope_common.config import Settings
from convoscope_common.wire import FileMetadata
from convoscope_gateway import __version__
from convoscope_gateway.app import create_app
from convoscope_gateway.openapi import (
    DRILLDOWN_FILTERS,
    ERROR_STATUSES,
    build_openapi,
    get_openapi,
    render,
    route_table,
)

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "docs" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_openapi(__version__)


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    """A JSON Schema validator for one component, resolving refs inside the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(doc).validate()


def test_every_app_route_is_documented_and_nothing_else() -> None:
    app = create_app(Settings())  # NATS connects on startup only, so no bus is needed here
    registered = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method not in ("HEAD", "OPTIONS", "*")
        and not route.resource.canonical.startswith("/socket.io")
    }
    assert registered == route_table()


def test_committed_document_is_fresh(doc: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == doc, (
        "docs/openapi.json is stale: run "
        "`python -m convoscope_gateway.openapi > docs/openapi.json` and commit it"
    )


def test_render_is_the_document_as_json(doc: dict[str, Any]) -> None:
    assert json.loads(render(__version__)) == doc


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, f"unresolved {ref}"
            node = node[part]


def test_every_operation_documents_its_errors_as_error_bodies(doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        responses = op["responses"]
        assert "500" in responses, f"{method} {path} lacks 500"
        is_public = op.get("security") == []
        if not is_public:  # behind the auth and rate-limit middlewares
            assert {"401", "429"} <= set(responses), f"{method} {path}"
        for status, response in responses.items():
            if int(status) >= 400 and "$ref" in response:
                assert response["$ref"] == f"#/components/responses/Error{status}"
    for status in ERROR_STATUSES:
        body = doc["components"]["responses"][f"Error{status}"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_path_parameters_match_the_path_templates(doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        template = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert in_path == template, f"{method} {path}"


def test_drilldown_filters_match_the_analyzer_query() -> None:
    # The gateway must not import the analyzer; the test may, to catch drift.
    from convoscope_analyzer.engine.drilldown import DrilldownQuery

    fields = {f.name: f.type for f in msgspec.structs.fields(DrilldownQuery)}
    assert set(fields) == set(DRILLDOWN_FILTERS)
    for name, type_ in fields.items():
        not_none = [a for a in typing.get_args(type_) if a is not type(None)]
        assert len(not_none) == 1, name
        expected = msgspec.json.schema(not_none[0])
        assert msgspec.json.schema(DRILLDOWN_FILTERS[name]) == expected, name


def _metadata() -> FileMetadata:
    return FileMetadata(size=10, conversations=1, messages=2, date_range=["2024-01-01"])


NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

# Real encoded instances must validate against their documented schemas.
SAMPLES: list[tuple[str, msgspec.Struct]] = [
    ("ErrorBody", ErrorBody(error="not_found", message="no such job")),
    ("ErrorBody", ErrorBody(error="bad_request", message="x", details="line 3")),
    (
        "UploadInfo",
        UploadInfo(
            file_id="f_1",
            file_hash="sha256:ab",
            filename="c.json",
            metadata=_metadata(),
            cached_results=False,
            created_at=NOW,
            expires_at=None,
        ),
    ),
    ("AnalysisStatus", AnalysisStatus(job_id="job_1", status="processing", progress=42.5)),
    (
        "AnalysisStatus",
        AnalysisStatus(job_id="job_1", status="complete", progress=100.0, created_at=NOW),
    ),
    (
        "AnalysisDeleted",
        AnalysisDeleted(
            job_id="job_1",
            status="cancelled",
            previous_status="processing",
            results_deleted=True,
            exports_deleted=2,
        ),
    ),
    (
        "DrilldownResponse",
        DrilldownResponse(job_id="job_1", query={"hour": "3"}, conversation_ids=["c"], messages=1),
    ),
    (
        "ExportResponse",
        ExportResponse(
            export_id="export_1",
            status="complete",
            files=[ExportFile(format="csv", filename="d.csv", url="/api/x", size=3)],
        ),
    ),
    (
        "HealthResponse",
        HealthResponse(status="degraded", version="2.0.0", uptime=1.5, active_jobs=0, cache_size=0),
    ),
]


@pytest.mark.parametrize(
    ("name", "sample"), SAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SAMPLES)]
)
def test_encoded_responses_validate_against_their_schema(
    doc: dict[str, Any], name: str, sample: msgspec.Struct
) -> None:
    instance = json.loads(msgspec.json.encode(sample))
    _validator(doc, name).validate(instance)


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        ("ErrorBody", {"message": "no code"}),
        ("AnalysisStatus", {"job_id": "j", "status": "exploded", "progress": 1}),
        ("AnalysisRequest", {"file_id": ""}),
        ("AnalysisRequest", {"file_id": "f", "surprise": True}),
        ("ExportRequest", {"job_id": "j", "formats": ["docx"]}),
        ("ExportRequest", {"job_id": "j", "formats": []}),
        ("HealthResponse", {"status": "fine", "version": "1", "uptime": 0, "active_jobs": 0}),
    ],
)
def test_invalid_instances_are_rejected(doc: dict[str, Any], name: str, instance: Any) -> None:
    assert not _validator(doc, name).is_valid(instance)


async def test_handler_serves_the_document(doc: dict[str, Any]) -> None:
    app = web.Application()
    app.router.add_get("/api/openapi.json", get_openapi)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/api/openapi.json")
        assert resp.status == 200
        assert resp.content_type == "application/json"
        assert await resp.json() == doc
