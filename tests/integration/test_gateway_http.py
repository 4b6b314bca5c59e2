"""The gateway app in-process on a real nats-server: CORS and JSON errors everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from convoscope_common.config import Settings
from convoscope_gateway.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(nats_url: str, js: object) -> AsyncIterator[TestClient]:
    settings = Settings(nats_url=nats_url, cors_origins=("https://app.example",))
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def test_unknown_routes_and_methods_answer_json(client: TestClient) -> None:
    resp = await client.get("/api/nothing-here")
    assert resp.status == 404
    assert (await resp.json())["error"] == "not_found"
    resp = await client.put("/api/upload")
    assert resp.status == 405
    body = await resp.json()
    assert body["error"] == "method_not_allowed" and "PUT" in body["message"]
    resp = await client.get("/api/analysis/job_unknown")
    assert resp.status == 404
    assert "job_unknown" in (await resp.json())["message"]


async def test_cors_allows_only_configured_origins(client: TestClient) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    resp = await client.options("/api/analysis", headers=preflight)
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"
    resp = await client.options(
        "/api/analysis", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    resp = await client.get("/api/health", headers={"Origin": "https://app.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"


async def test_openapi_document_is_served(client: TestClient) -> None:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    document = await resp.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/upload" in document["paths"]


async def test_an_unexpected_error_is_a_json_500_without_a_stack_trace(
    nats_url: str, js: object
) -> None:
    app = create_app(Settings(nats_url=nats_url))

    async def broken(_request: object) -> None:
        raise RuntimeError("internal detail that must not leak")

    app.router.add_get("/api/broken", broken)
    async with TestClient(TestServer(app)) as test_client:
        resp = await test_client.get("/api/broken")
        assert resp.status == 500
        text = await resp.text()
    assert resp.content_type == "application/json"
    assert "Traceback" not in text and "internal detail" not in text
    assert "an unexpected error occurred" in text
