"""The gateway's security boundary in-process on a real nats-server (issue 15):
limiter identity, proxies, per-key job quotas, quiet cheap health, security headers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.js import JetStreamContext

from convoscope_common.clock import utcnow
from convoscope_common.config import Settings
from convoscope_common.provisioning import provision
from convoscope_common.records import ExportedFile, ExportState
from convoscope_common.storage import Stores
from convoscope_gateway import quotas
from convoscope_gateway.app import create_app
from convoscope_gateway.errors import QuotaExceededError
from convoscope_gateway.routes.health import CACHE_SIZE
from tests.integration.stored_jobs import store_keyed_upload

pytestmark = pytest.mark.integration

KEYS = ("key-a", "key-b")

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def make_client(nats_url: str, js: JetStreamContext) -> AsyncIterator[MakeClient]:
    await provision(js, Settings())
    clients: list[TestClient] = []

    async def make(**overrides: Any) -> TestClient:
        settings = Settings(nats_url=nats_url, **overrides)
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def _statuses(
    client: TestClient, n: int, headers: Callable[[int], dict[str, str]]
) -> list[int]:
    out = []
    for i in range(n):
        resp = await client.get("/api/openapi.json", headers=headers(i))
        out.append(resp.status)
        resp.release()
    return out


async def test_rotating_random_keys_does_not_escape_the_limit(make_client: MakeClient) -> None:
    client = await make_client(api_keys=KEYS, rate_limit_per_minute=5)
    statuses = await _statuses(client, 12, lambda i: {"X-API-Key": uuid.uuid4().hex})
    assert statuses[:5] == [401] * 5  # counted against the address, then refused
    assert set(statuses[5:]) == {429}
    # A caller with a valid key is its own identity, unaffected by that flood.
    assert await _statuses(client, 5, lambda i: {"X-API-Key": "key-a"}) == [200] * 5
    assert (await _statuses(client, 1, lambda i: {"X-API-Key": "key-a"})) == [429]


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_client: MakeClient) -> None:
    direct = await make_client(rate_limit_per_minute=3)
    statuses = await _statuses(direct, 6, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
    assert statuses == [200, 200, 200, 429, 429, 429]  # a forged header buys nothing
    proxied = await make_client(rate_limit_per_minute=3, trusted_proxies=("127.0.0.1",))
    statuses = await _statuses(proxied, 6, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
    assert statuses == [200] * 6  # distinct clients behind the proxy, each its own budget
    same = await _statuses(proxied, 4, lambda i: {"X-Forwarded-For": "203.0.113.7"})
    assert same == [200, 200, 200, 429]


async def _upload_of(stores: Stores, key: str) -> str:
    sha = "cd" * 32
    return await store_keyed_upload(stores, key, sha, f"{sha}.v1")


async def test_per_key_quotas_on_jobs_at_once_and_high_priority(
    make_client: MakeClient, js: JetStreamContext
) -> None:
    client = await make_client(
        api_keys=KEYS,
        rate_limit_per_minute=0,
        max_active_jobs_per_key=2,
        max_high_priority_jobs_per_key=1,
    )
    stores = await Stores.open(js)
    file_a, file_b = await _upload_of(stores, "key-a"), await _upload_of(stores, "key-b")

    async def submit(key: str, file_id: str, priority: str) -> tuple[int, dict[str, Any]]:
        resp = await client.post(
            "/api/analysis",
            json={"file_id": file_id, "options": {"priority": priority}},
            headers={"X-API-Key": key},
        )
        return resp.status, await resp.json()

    status, first = await submit("key-a", file_a, "high")
    assert status == 202, first
    status, body = await submit("key-a", file_a, "high")
    assert (status, body["error"]) == (429, "quota_exceeded")
    assert "high-priority" in body["message"]
    assert (await submit("key-a", file_a, "normal"))[0] == 202
    status, body = await submit("key-a", file_a, "low")
    assert (status, body["error"]) == (429, "quota_exceeded")
    assert (await submit("key-b", file_b, "high"))[0] == 202  # another key, its own quota
    # A finished job frees its place.
    state = await stores.get_job(first["job_id"])
    assert state is not None
    state.status = "complete"
    await stores.put_job(state)
    assert (await submit("key-a", file_a, "high"))[0] == 202


async def test_health_without_a_key_says_only_status(make_client: MakeClient) -> None:
    keyed = await make_client(api_keys=KEYS)
    resp = await keyed.get("/api/health")
    assert resp.status in (200, 503)
    assert set(await resp.json()) == {"status"}
    resp = await keyed.get("/api/health", headers={"X-API-Key": "nope"})
    assert set(await resp.json()) == {"status"}
    resp = await keyed.get("/api/health", headers={"X-API-Key": "key-b"})
    assert {"status", "version", "uptime", "active_jobs", "cache_size"} <= set(await resp.json())
    # Keys off: the seed contract's fields for everyone.
    open_ = await make_client()
    body = await (await open_.get("/api/health")).json()
    assert {"status", "version", "uptime"} <= set(body)


async def test_health_is_cheap_whatever_the_cache_holds(
    make_client: MakeClient, js: JetStreamContext
) -> None:
    client = await make_client()
    stores = await Stores.open(js)
    for i in range(50):
        await stores.results.put(f"{i:064x}.{i:032x}", b"\x80")  # entries a scan would read
    for _ in range(30):
        resp = await client.get("/api/health")
        assert resp.status == 200
        assert isinstance((await resp.json())["cache_size"], int)
    # One stream-info request answered all 30 calls; the results bucket was never listed.
    assert client.server.app[CACHE_SIZE].reads == 1


async def test_every_response_carries_the_security_headers(
    make_client: MakeClient, js: JetStreamContext
) -> None:
    client = await make_client()
    for path in ("/api/health", "/api/openapi.json", "/api/upload/f_missing", "/nowhere"):
        resp = await client.get(path)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
    # A streamed HTML report download: sandboxed, no network, no framing.
    stores = await Stores.open(js)
    now = utcnow()
    await stores.write_object(stores.exports_data, "exp_1/report.html", b"<html></html>")
    await stores.put_export(
        ExportState(
            export_id="exp_1",
            job_id="job_1",
            status="complete",
            files=[
                ExportedFile(
                    format="html",
                    filename="report.html",
                    size=13,
                    content_type="text/html; charset=utf-8",
                )
            ],
            created_at=now,
            updated_at=now,
        )
    )
    resp = await client.get("/api/export/exp_1/file/report.html")
    assert resp.status == 200, await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "connect-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_stored_bytes_quota_per_key(js: JetStreamContext) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    args = {"max_bytes": 100, "ttl": 60.0}
    await quotas.reserve_bytes(stores, "alice", "f_1", 60, now=1000.0, **args)
    with pytest.raises(QuotaExceededError) as info:
        await quotas.reserve_bytes(stores, "alice", "f_2", 60, now=1001.0, **args)
    assert int(info.value.headers["Retry-After"]) >= 59  # until f_1 expires
    await quotas.reserve_bytes(stores, "bob", "f_3", 60, now=1001.0, **args)  # own quota
    await quotas.reserve_bytes(stores, "alice", "f_1", 90, now=1002.0, **args)  # replaces f_1
    await quotas.release_bytes(stores, "alice", "f_1")
    await quotas.reserve_bytes(stores, "alice", "f_2", 60, now=1003.0, **args)
    # Expired uploads no longer count.
    await quotas.reserve_bytes(stores, "alice", "f_4", 60, now=1100.0, **args)


async def test_an_upload_over_the_stored_bytes_quota_is_refused(make_client: MakeClient) -> None:
    client = await make_client(api_keys=KEYS, rate_limit_per_minute=0, max_stored_bytes_per_key=50)
    data = aiohttp.FormData()
    data.add_field("file", b"[" + b" " * 100 + b"]", filename="c.json")
    resp = await client.post("/api/upload", data=data, headers={"X-API-Key": "key-a"})
    body = await resp.json()
    assert (resp.status, body["error"]) == (429, "quota_exceeded"), body
    assert "quota" in body["message"]
