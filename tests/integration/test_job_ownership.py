"""Jobs own their results; an upload owns everything made from it; storage is bounded and
a full store is a clear error (issue 11 points 2-4). The gateway, ingest, analyzer and
exporter run in this process on a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError

import convoscope_analyzer.worker as analyzer
import convoscope_exporter.worker as exporter
import convoscope_ingest.service as ingest
from convoscope_common import names
from convoscope_common.cache import filtered_keys
from convoscope_common.config import Settings
from convoscope_common.provisioning import provision, retention_plan
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import Stores
from convoscope_gateway.app import create_app
from convoscope_gateway.state import GATEWAY

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "claude_sample.json"


@dataclass
class System:
    client: TestClient
    stores: Stores
    settings: Settings


@contextlib.asynccontextmanager
async def _system(
    nats_url: str, js: JetStreamContext, nc: NATS, **overrides: Any
) -> AsyncIterator[System]:
    settings = Settings(nats_url=nats_url, **overrides)
    await provision(js, settings)
    stopping = asyncio.Event()
    ctxs = [
        ServiceContext(service, f"{service}-t", settings, nc, js, stopping)
        for service in ("ingest", "analyzer", "exporter")
    ]
    bodies = [
        asyncio.create_task(body(ctx))
        for body, ctx in zip((ingest.run, analyzer.run, exporter.run), ctxs, strict=True)
    ]
    try:
        async with TestClient(TestServer(create_app(settings))) as client:
            yield System(client, await Stores.open(js), settings)
    finally:
        stopping.set()
        await asyncio.wait_for(asyncio.gather(*bodies, return_exceptions=True), 30)


@pytest.fixture
async def system(nats_url: str, js: JetStreamContext, nc: NATS) -> AsyncIterator[System]:
    async with _system(nats_url, js, nc) as running:
        yield running


async def _upload(client: TestClient, data: bytes | None = None) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field(
        "file", data or SAMPLE.read_bytes(), filename="conversations.json",
        content_type="application/json",
    )  # fmt: skip
    resp = await client.post("/api/upload", data=form)
    return resp.status, await resp.json()


async def _analyse(client: TestClient, file_id: str) -> dict[str, Any]:
    resp = await client.post("/api/analysis", json={"file_id": file_id})
    assert resp.status in (201, 202), await resp.text()
    job: dict[str, Any] = await resp.json()
    async with asyncio.timeout(120):
        while True:
            body: dict[str, Any] = await (await client.get(f"/api/analysis/{job['job_id']}")).json()
            if body["status"] not in ("pending", "processing"):
                return body
            await asyncio.sleep(0.1)


async def _keys(kv: Any) -> list[str]:
    # The product's listing (its empty answers double-checked), not nats-py's keys().
    return [key async for key in filtered_keys(kv, ">")]


async def test_deleting_a_cache_hit_job_leaves_the_first_jobs_results(system: System) -> None:
    """Before: DELETE of the second (cache-hit) job deleted the shared result; the first
    job answered 404."""
    client = system.client
    status, upload = await _upload(client)
    assert status == 200, upload
    first = await _analyse(client, upload["file_id"])
    second = await _analyse(client, upload["file_id"])
    assert first["status"] == second["status"] == "complete"
    assert second["from_cache"]
    resp = await client.delete(f"/api/analysis/{second['job_id']}")
    assert resp.status == 200
    assert (await resp.json())["results_deleted"] is False  # the first job still uses them
    resp = await client.get(f"/api/analysis/{first['job_id']}")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["results"]["summary"]["conversations"] > 0
    # The last job's DELETE takes the results with it.
    resp = await client.delete(f"/api/analysis/{first['job_id']}")
    assert (await resp.json())["results_deleted"] is True
    assert await _keys(system.stores.results) == []
    assert await _keys(system.stores.refs) == []


async def test_deleting_an_upload_removes_everything_made_from_it(system: System) -> None:
    client, stores = system.client, system.stores
    status, upload = await _upload(client)
    assert status == 200, upload
    job = await _analyse(client, upload["file_id"])
    assert job["status"] == "complete"
    resp = await client.post("/api/export", json={"job_id": job["job_id"], "formats": ["json"]})
    export = await resp.json()
    async with asyncio.timeout(60):
        while export["status"] not in ("complete", "failed"):
            await asyncio.sleep(0.1)
            export = await (await client.get(f"/api/export/{export['export_id']}")).json()
    assert export["status"] == "complete"
    record = await stores.get_file(upload["file_id"])
    assert record is not None

    resp = await client.delete(f"/api/upload/{upload['file_id']}")
    assert resp.status == 200, await resp.text()
    deleted = await resp.json()
    assert deleted["jobs_deleted"] == 1
    assert deleted["results_deleted"] == 1
    assert deleted["exports_deleted"] == 1
    assert deleted["bytes_deleted"] >= SAMPLE.stat().st_size

    assert (await client.get(f"/api/upload/{upload['file_id']}")).status == 404
    assert (await client.get(f"/api/analysis/{job['job_id']}")).status == 404
    assert (await client.get(f"/api/export/{export['export_id']}")).status == 404
    assert not await stores.object_exists(stores.uploads, record.upload_object)
    assert not await stores.object_exists(stores.corpora, record.corpus_object)
    for kv in (stores.files, stores.results, stores.refs, stores.exports):
        assert await _keys(kv) == []
    for store in (stores.results_data, stores.exports_data):
        assert not await _has_objects(store)
    # A second DELETE finds nothing.
    assert (await client.delete(f"/api/upload/{upload['file_id']}")).status == 404


async def _has_objects(store: Any) -> bool:
    try:
        return bool(await store.list(ignore_deletes=True))
    except Exception:  # nats-py raises NotFoundError for an empty store
        return False


@pytest.mark.parametrize(
    ("error", "answer", "code"),
    [
        (
            ServiceUnavailableError(code=503, description="JetStream temporarily unavailable"),
            503,
            "service_unavailable",
        ),
        (
            ServiceUnavailableError(code=503, err_code=10077, description="maximum bytes exceeded"),
            507,
            "storage_full",
        ),
    ],
)
async def test_a_failed_publish_leaves_no_pending_job_or_export(
    system: System, error: Exception, answer: int, code: str
) -> None:
    """Before: the job or export record was written before the publish, so a failed
    publish left it `pending` for ever (and the answer was a bare 500)."""
    client, stores = system.client, system.stores
    status, upload = await _upload(client)
    assert status == 200
    done = await _analyse(client, upload["file_id"])
    gw = client.server.app[GATEWAY]
    real_publish = gw.js.publish

    async def unavailable(subject: str, *args: Any, **kwargs: Any) -> Any:
        # The jobs stream fails (KV writes, which also publish, still work).
        if subject.startswith(f"{names.PREFIX}.jobs."):
            raise error
        return await real_publish(subject, *args, **kwargs)

    gw.js.publish = unavailable  # type: ignore[method-assign]
    try:
        resp = await client.post(
            "/api/analysis",
            json={"file_id": upload["file_id"], "options": {"timezone": "Europe/Paris"}},
        )
        assert resp.status == answer
        assert (await resp.json())["error"] == code
        jobs = [await stores.get_job(k) for k in await _keys(stores.jobs)]
        assert [j.job_id for j in jobs if j is not None] == [done["job_id"]]

        resp = await client.post("/api/export", json={"job_id": done["job_id"], "formats": ["csv"]})
        assert resp.status == answer
        exports = [await stores.get_export(k) for k in await _keys(stores.exports)]
        assert [e.status for e in exports if e is not None] == ["failed"]
        assert [e.error.code for e in exports if e is not None and e.error] == [
            "storage_full" if answer == 507 else "queue_unavailable"
        ]
    finally:
        gw.js.publish = real_publish  # type: ignore[method-assign]


async def test_every_bucket_and_store_is_bounded(nats_url: str, js: JetStreamContext) -> None:
    """Before: jobs, results and results-data had no TTL (every analysis kept for ever)."""
    settings = Settings(nats_url=nats_url)
    await provision(js, settings)
    plan = retention_plan(settings)
    streams = [names.JOBS_STREAM, *plan]
    assert len(plan) == len(names.KV_BUCKETS) + len(names.OBJ_STORES)
    for stream in streams:
        config = (await js.stream_info(stream)).config
        assert config.max_age, stream
        assert config.max_bytes and config.max_bytes > 0, stream


async def test_a_full_store_is_a_clear_507_and_nothing_half_written(
    nats_url: str, js: JetStreamContext, nc: NATS
) -> None:
    async with _system(nats_url, js, nc, store_max_bytes=64 * 1024) as system:
        big = SAMPLE.read_bytes() + b" " * (200 * 1024)
        status, body = await _upload(system.client, big)
        assert status == 507, body
        assert body["error"] == "storage_full"
        assert "storage" in body["message"]
        assert await _keys(system.stores.files) == []
