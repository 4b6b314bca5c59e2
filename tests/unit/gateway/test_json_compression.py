"""Large JSON documents (the light results document) go out gzip-compressed when the
client accepts it; small ones and clients without gzip get plain JSON."""

from __future__ import annotations

import gzip
import json

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from convoscope_gateway.jsonio import COMPRESS_FROM, json_response

BIG = {"days": [{"date": f"2025-01-{d % 28 + 1:02d}", "messages": d} for d in range(8000)]}


async def _client() -> TestClient:
    app = web.Application()

    async def big(request: web.Request) -> web.Response:
        return json_response(BIG, request=request)

    async def small(request: web.Request) -> web.Response:
        return json_response({"ok": True}, request=request)

    app.router.add_get("/big", big)
    app.router.add_get("/small", small)
    return TestClient(TestServer(app))


async def test_a_large_document_is_gzipped_for_a_client_that_accepts_it() -> None:
    assert len(json.dumps(BIG)) > COMPRESS_FROM
    async with await _client() as client:
        resp = await client.get(
            "/big", headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False
        )
        assert resp.headers["Content-Encoding"] == "gzip"
        assert resp.headers["Vary"] == "Accept-Encoding"
        raw = await resp.content.read()  # the bytes as sent, before any decoding
        assert len(raw) * 4 < len(json.dumps(BIG))
        assert json.loads(gzip.decompress(raw)) == BIG


async def test_plain_json_without_gzip_or_for_small_documents() -> None:
    async with await _client() as client:
        resp = await client.get("/big", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in resp.headers
        assert await resp.json() == BIG
        resp = await client.get("/small", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in resp.headers
        assert await resp.json() == {"ok": True}
