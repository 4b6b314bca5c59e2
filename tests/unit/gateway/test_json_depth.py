"""JSON bodies nested deeper than the configured limit are a clear 400, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from convoscope_gateway.errors import ApiError
from convoscope_gateway.jsonio import json_response, nested_deeper_than, read_json


class _Body(msgspec.Struct):
    file_id: str


@pytest.mark.parametrize(
    ("body", "limit", "deeper"),
    [
        (b"[]", 1, False),
        (b"[]", 0, True),
        (b"[" * 64 + b"]" * 64, 64, False),
        (b"[" * 65 + b"]" * 65, 64, True),
        (b"[[]," * 65 + b"]" * 65, 64, True),  # no long run of openers, still 66 deep
        (b'{"a": "[[[[[[[[", "b": [1]}', 2, False),  # brackets inside strings do not count
        (b'{"a": "\\"[[[[", "b": [1]}', 2, False),  # nor after an escaped quote
        (b"[" * 5000, 64, True),
    ],
)
def test_nesting_is_measured_outside_strings(body: bytes, limit: int, deeper: bool) -> None:
    assert nested_deeper_than(body, limit) is deeper


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async def handler(request: web.Request) -> web.Response:
        try:
            body = await read_json(request, _Body)
        except ApiError as exc:
            return json_response({"code": exc.code, "status": exc.status}, status=exc.status)
        return json_response({"file_id": body.file_id})

    app = web.Application()
    app.router.add_post("/", handler)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b"[" * 5000, b'{"file_id": ' + b"[" * 100 + b"]" * 100 + b"}"],
)
async def test_a_deeply_nested_body_is_a_400(client: TestClient, body: bytes) -> None:
    response = await client.post("/", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400, await response.text()


async def test_a_normal_body_still_reads(client: TestClient) -> None:
    response = await client.post("/", json={"file_id": "f_1"})
    assert response.status == 200
    assert await response.json() == {"file_id": "f_1"}
