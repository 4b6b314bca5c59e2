"""Issue 7, point 1: property-based fuzzing of the running gateway against its own OpenAPI.

Schemathesis loads ``/api/openapi.json`` from a real stack and, for every
operation, sends generated requests; each response must not be a 5xx and
must match the document (status code, content type, body schema). Random ids
only reach the 404 paths, so a second pass aims the generated requests at a
real upload, a complete analysis and an export; the upload endpoint is also
fed generated Claude-shaped exports (valid and subtly broken) so the parser
path is exercised, not just the multipart guard. Everything is bounded by
``max_examples`` so the module stays well under 90 s on 2 cores.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from convoscope_gateway.openapi import route_table
from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import DATA

pytestmark = pytest.mark.e2e

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# No rate limit here: the fuzzer would otherwise test mostly the 429 path.
FUZZ_ENV = {**E2E_ENV, "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "0"}

# CI runs a fixed, small set; CONVOSCOPE_FUZZ_SCALE=10 CONVOSCOPE_FUZZ_RANDOM=1 digs deeper locally.
SCALE = max(1, int(os.environ.get("CONVOSCOPE_FUZZ_SCALE", "1")))

FUZZ = settings(
    max_examples=12 * SCALE,
    deadline=None,
    # The same examples on every run, so a CI failure reproduces locally.
    derandomize=os.environ.get("CONVOSCOPE_FUZZ_RANDOM") != "1",
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack of the other e2e tests, without the rate limit."""
    with Stack(tmp_path_factory.mktemp("fuzz"), port=free_port(), env=FUZZ_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(stack: Stack) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")


@dataclass(frozen=True)
class RealIds:
    """Resources that exist on the stack, so fuzzing reaches past the 404s."""

    file_id: str
    job_id: str
    export_id: str
    filenames: tuple[str, ...]


def _wait_complete(session: requests.Session, url: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = session.get(url, timeout=10).json()
        if body["status"] in ("complete", "failed", "cancelled"):
            assert body["status"] == "complete", body.get("error")
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url} did not complete in {timeout} s")


@pytest.fixture(scope="module")
def real(stack: Stack) -> RealIds:
    with requests.Session() as session:
        sample = (DATA / "claude_sample.json").read_bytes()
        resp = session.post(
            f"{stack.url}/api/upload",
            files={"file": ("conversations.json", sample, "application/json")},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        file_id = resp.json()["file_id"]
        resp = session.post(f"{stack.url}/api/analysis", json={"file_id": file_id}, timeout=10)
        assert resp.status_code in (201, 202), resp.text
        job_id = resp.json()["job_id"]
        _wait_complete(session, f"{stack.url}/api/analysis/{job_id}")
        resp = session.post(
            f"{stack.url}/api/export",
            json={"job_id": job_id, "formats": ["csv", "json"]},
            timeout=30,
        )
        assert resp.status_code in (200, 202), resp.text
        export_id = resp.json()["export_id"]
        export = _wait_complete(session, f"{stack.url}/api/export/{export_id}")
    return RealIds(
        file_id=file_id,
        job_id=job_id,
        export_id=export_id,
        filenames=tuple(f["filename"] for f in export["files"]),
    )


# --- pass 1: every operation, generated from the document alone ----------------------
# (Parametrised by hand: schemathesis' pytest fixture loader does not run on pytest 9.)


# Operations with a body or query to violate; a path id has nothing invalid but "".
WITH_INPUT = {
    ("POST", "/api/upload"),
    ("POST", "/api/analysis"),
    ("POST", "/api/export"),
    ("GET", "/api/analysis/{job_id}/drilldown"),
}
PASS_1 = [(*route, GenerationMode.POSITIVE) for route in sorted(route_table())] + [
    (*route, GenerationMode.NEGATIVE) for route in sorted(WITH_INPUT)
]


@pytest.mark.parametrize(("method", "path", "mode"), PASS_1)
def test_every_operation_conforms(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    # Negative mode sends what the document forbids: it must be refused with a documented 4xx.
    assert _fuzz_operation(api_schema, path, method, {}, mode=mode) > 0


# --- pass 2: generated requests aimed at real resources --------------------------------


def _fuzz_operation(
    api_schema: schemathesis.BaseSchema,
    path: str,
    method: str,
    path_parameters: dict[str, str],
    body_overrides: dict[str, Any] | None = None,
    max_examples: int = 12,
    mode: GenerationMode = GenerationMode.POSITIVE,
) -> int:
    """Fuzz one operation with its path fixed to real ids; returns how many calls were made."""
    operation = api_schema[path][method]
    calls = 0
    strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

    @settings(FUZZ, max_examples=max_examples * SCALE)
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        nonlocal calls
        if body_overrides and isinstance(case.body, dict):
            case.body = {**case.body, **body_overrides}
        case.call_and_validate(checks=CHECKS)
        calls += 1

    run()
    return calls


def test_drilldown_filters_on_a_complete_job(
    api_schema: schemathesis.BaseSchema, real: RealIds
) -> None:
    calls = _fuzz_operation(
        api_schema,
        "/api/analysis/{job_id}/drilldown",
        "GET",
        {"job_id": real.job_id},
        max_examples=25,
    )
    assert calls > 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/analysis/{job_id}/conversations",
        "/api/analysis/{job_id}/messages",
        "/api/analysis/{job_id}/overview",
        "/api/analysis/{job_id}/failures",
        "/api/analysis/{job_id}/privacy",
    ],
)
def test_browsing_filters_on_a_complete_job(
    api_schema: schemathesis.BaseSchema, real: RealIds, path: str
) -> None:
    calls = _fuzz_operation(api_schema, path, "GET", {"job_id": real.job_id}, max_examples=15)
    assert calls > 0


def test_export_requests_on_a_complete_job(
    api_schema: schemathesis.BaseSchema, real: RealIds
) -> None:
    calls = _fuzz_operation(
        api_schema,
        "/api/export",
        "POST",
        {},
        body_overrides={"job_id": real.job_id},
        max_examples=6,
    )
    assert calls > 0


def test_analysis_requests_on_a_real_upload(
    api_schema: schemathesis.BaseSchema, real: RealIds
) -> None:
    calls = _fuzz_operation(
        api_schema, "/api/analysis", "POST", {}, body_overrides={"file_id": real.file_id}
    )
    assert calls > 0


def test_real_resources_match_the_document(
    api_schema: schemathesis.BaseSchema, real: RealIds
) -> None:
    """The full results, the export state and each file are checked against the schema."""
    calls = [
        ("/api/upload/{file_id}", "GET", {"file_id": real.file_id}),
        ("/api/analysis/{job_id}", "GET", {"job_id": real.job_id}),
        ("/api/export/{export_id}", "GET", {"export_id": real.export_id}),
        ("/api/analysis/{job_id}/conversations", "GET", {"job_id": real.job_id}),
        ("/api/analysis/{job_id}/messages", "GET", {"job_id": real.job_id}),
        ("/api/analysis/{job_id}/overview", "GET", {"job_id": real.job_id}),
        ("/api/uploads", "GET", {}),
        ("/api/analyses", "GET", {}),
        ("/", "GET", {}),
    ] + [
        (
            "/api/export/{export_id}/file/{filename}",
            "GET",
            {"export_id": real.export_id, "filename": name},
        )
        for name in real.filenames
    ]
    assert real.filenames
    for path, method, params in calls:
        response = (
            api_schema[path][method].Case(path_parameters=params).call_and_validate(checks=CHECKS)
        )
        assert response.status_code == 200, (path, response.text[:200])


# --- pass 3: Claude-shaped exports through the upload parser --------------------------

_TIMESTAMP = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.isoformat() + "Z"
)
_TEXT = st.text(max_size=40)


@st.composite
def _message(draw: st.DrawFn) -> dict[str, Any]:
    text = draw(_TEXT)
    message: dict[str, Any] = {
        "uuid": draw(st.uuids()).hex,
        "text": text,
        "content": [{"type": "text", "text": text}],
        "sender": draw(st.sampled_from(["human", "assistant"])),
        "created_at": draw(_TIMESTAMP),
    }
    # Real exports are messy: drop a field now and then.
    for key in draw(st.sets(st.sampled_from(["text", "content", "created_at", "uuid"]))):
        message.pop(key)
    return message


@st.composite
def _conversation(draw: st.DrawFn) -> dict[str, Any]:
    created = draw(_TIMESTAMP)
    return {
        "uuid": draw(st.uuids()).hex,
        "name": draw(_TEXT),
        "created_at": created,
        "updated_at": created,
        "chat_messages": draw(st.lists(_message(), max_size=4)),
    }


_EXPORTS = st.one_of(
    st.lists(_conversation(), max_size=3),  # the current export
    st.lists(_conversation(), max_size=2).map(lambda c: {"conversations": c}),  # legacy wrapper
    st.recursive(  # arbitrary JSON: must be refused cleanly, never crash the parser
        st.none() | st.booleans() | st.integers() | _TEXT,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
        max_leaves=8,
    ),
)


def test_upload_parses_generated_exports(api_schema: schemathesis.BaseSchema) -> None:
    operation = api_schema["/api/upload"]["POST"]
    statuses: list[int] = []

    @settings(FUZZ, max_examples=20 * SCALE)
    @given(export=_EXPORTS)
    def run(export: Any) -> None:
        data = json.dumps(export).encode()
        case = operation.Case(body={"file": data}, media_type="multipart/form-data")
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)

    run()
    # The generator must reach the parser's success path, not only its refusals.
    assert 200 in statuses, statuses
