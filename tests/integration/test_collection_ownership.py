"""Collections belong to one key (in-process gateway on a real nats-server): another key
neither sees, changes, analyses nor deletes them, nor puts its uploads in them; a key
cannot collect another key's upload; without ingest, analysing answers 503."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.js import JetStreamContext

from convoscope_common.config import Settings
from convoscope_common.provisioning import provision
from convoscope_common.storage import Stores
from convoscope_gateway.app import create_app
from tests.integration.stored_jobs import store_keyed_upload

pytestmark = pytest.mark.integration

KEYS = ("key-a", "key-b")
A, B = {"X-API-Key": "key-a"}, {"X-API-Key": "key-b"}


@pytest.fixture
async def client(nats_url: str, js: JetStreamContext) -> AsyncIterator[TestClient]:
    await provision(js, Settings())
    settings = Settings(
        nats_url=nats_url, api_keys=KEYS, rate_limit_per_minute=0, ingest_timeout=2.0
    )
    test_client = TestClient(TestServer(create_app(settings)))
    await test_client.start_server()
    yield test_client
    await test_client.close()


async def _upload_of(stores: Stores, key: str, sha: str) -> str:
    return await store_keyed_upload(stores, key, sha, f"{sha}.v2")


async def test_a_collection_is_visible_and_changeable_by_its_key_only(
    client: TestClient, js: JetStreamContext
) -> None:
    stores = await Stores.open(js)
    mine = await _upload_of(stores, "key-a", "a1" * 32)
    theirs = await _upload_of(stores, "key-b", "b1" * 32)
    resp = await client.post(
        "/api/collections", json={"name": "x", "file_ids": [theirs]}, headers=A
    )
    assert resp.status == 404  # key-b's upload does not exist for key-a
    resp = await client.post(
        "/api/collections", json={"name": "mine", "file_ids": [mine]}, headers=A
    )
    assert resp.status == 201, await resp.text()
    cid = (await resp.json())["collection_id"]

    for method, path, body in (
        ("get", f"/api/collections/{cid}", None),
        ("delete", f"/api/collections/{cid}", None),
        ("post", f"/api/collections/{cid}/uploads", {"file_ids": [theirs]}),
        ("delete", f"/api/collections/{cid}/uploads/{mine}", None),
        ("post", f"/api/collections/{cid}/analysis", {}),
    ):
        resp = await client.request(method, path, json=body, headers=B)
        assert resp.status == 404, (method, path, resp.status)
        assert (await resp.json())["error"] == "not_found"
    resp = await client.get("/api/collections", headers=B)
    assert (await resp.json())["collections"] == []
    resp = await client.post(
        f"/api/collections/{cid}/uploads", json={"file_ids": [theirs]}, headers=A
    )
    assert resp.status == 404
    resp = await client.get(f"/api/collections/{cid}", headers=A)
    assert [u["file_id"] for u in (await resp.json())["uploads"]] == [mine]
    # No ingest runs in this test: the merge cannot be asked, and the answer says so.
    resp = await client.post(f"/api/collections/{cid}/analysis", json={}, headers=A)
    assert resp.status == 503, await resp.text()
    assert "ingest" in (await resp.json())["message"]
    resp = await client.post(
        f"/api/collections/{cid}/analysis", json={"options": {"bogus": 1}}, headers=A
    )
    assert resp.status in (400, 422)
