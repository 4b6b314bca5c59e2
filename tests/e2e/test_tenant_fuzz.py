"""Issue 15: schemathesis against the stack with API keys on, as a second tenant aiming
generated requests at the first tenant's ids. Every answer must be a documented refusal
(never a 2xx, never a 5xx), and the first tenant's resources must be intact afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import DATA

pytestmark = pytest.mark.e2e

OWNER = {"X-API-Key": "key-owner"}
INTRUDER = {"X-API-Key": "key-intruder"}
ENV = {
    **E2E_ENV,
    "CONVOSCOPE_API_KEYS": "key-owner,key-intruder",
    "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "0",
}
FUZZ = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Owned:
    file_id: str
    job_id: str
    export_id: str
    filename: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("tenants"), port=free_port(), env=ENV) as running:
        yield running


def _wait(session: requests.Session, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        body: dict[str, Any] = session.get(url, timeout=10).json()
        if body["status"] in ("complete", "failed", "cancelled"):
            assert body["status"] == "complete", body
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url} did not complete")


@pytest.fixture(scope="module")
def owned(stack: Stack) -> Owned:
    with requests.Session() as session:
        session.headers.update(OWNER)
        sample = (DATA / "claude_sample.json").read_bytes()
        resp = session.post(
            f"{stack.url}/api/upload",
            files={"file": ("conversations.json", sample, "application/json")},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        file_id = resp.json()["file_id"]
        resp = session.post(f"{stack.url}/api/analysis", json={"file_id": file_id}, timeout=10)
        job_id = resp.json()["job_id"]
        _wait(session, f"{stack.url}/api/analysis/{job_id}")
        resp = session.post(
            f"{stack.url}/api/export", json={"job_id": job_id, "formats": ["csv"]}, timeout=30
        )
        export = _wait(session, f"{stack.url}/api/export/{resp.json()['export_id']}")
    return Owned(file_id, job_id, export["export_id"], export["files"][0]["filename"])


@pytest.fixture(scope="module")
def api_schema(stack: Stack) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json", headers=OWNER)


def _as_intruder(
    api_schema: schemathesis.BaseSchema,
    path: str,
    method: str,
    path_parameters: dict[str, str],
    body_overrides: dict[str, Any] | None = None,
) -> list[int]:
    operation = api_schema[path][method]
    statuses: list[int] = []
    strategy = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path_parameters)

    @FUZZ
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        if body_overrides and isinstance(case.body, dict):
            case.body = {**case.body, **body_overrides}
        response = case.call(headers=INTRUDER)
        case.validate_response(
            response, checks=[not_a_server_error, status_code_conformance, content_type_conformance]
        )
        statuses.append(response.status_code)

    run()
    return statuses


def test_a_second_tenant_cannot_reach_the_first_tenants_ids(
    stack: Stack, owned: Owned, api_schema: schemathesis.BaseSchema
) -> None:
    targets: list[tuple[str, str, dict[str, str], dict[str, Any] | None]] = [
        ("/api/upload/{file_id}", "GET", {"file_id": owned.file_id}, None),
        ("/api/analysis/{job_id}", "GET", {"job_id": owned.job_id}, None),
        ("/api/analysis/{job_id}", "DELETE", {"job_id": owned.job_id}, None),
        ("/api/analysis/{job_id}/drilldown", "GET", {"job_id": owned.job_id}, None),
        ("/api/export/{export_id}", "GET", {"export_id": owned.export_id}, None),
        (
            "/api/export/{export_id}/file/{filename}",
            "GET",
            {"export_id": owned.export_id, "filename": owned.filename},
            None,
        ),
        ("/api/analysis", "POST", {}, {"file_id": owned.file_id}),
        ("/api/export", "POST", {}, {"job_id": owned.job_id}),
    ]
    for path, method, params, overrides in targets:
        statuses = _as_intruder(api_schema, path, method, params, overrides)
        assert statuses, (method, path)
        assert all(400 <= s < 500 for s in statuses), (method, path, statuses)
        if params:  # a request aimed at the owner's id finds nothing
            assert set(statuses) <= {404, 422}, (method, path, statuses)

    # The owner's resources survived the intruder's DELETEs and exports.
    with requests.Session() as session:
        session.headers.update(OWNER)
        for url in (
            f"/api/upload/{owned.file_id}",
            f"/api/analysis/{owned.job_id}",
            f"/api/export/{owned.export_id}/file/{owned.filename}",
        ):
            assert session.get(f"{stack.url}{url}", timeout=10).status_code == 200, url
