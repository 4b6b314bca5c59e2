"""Edge cases of the gateway in-process on a real nats-server: reserved keys, error metrics,
and result-cache isolation between API keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.clock import utcnow
from convoscope_common.config import Settings
from convoscope_common.records import FileRecord, ResultIndex
from convoscope_common.results import ENGINE_VERSION
from convoscope_common.storage import Stores
from convoscope_common.throughput import THROUGHPUT_KEY, record_throughput
from convoscope_common.wire import FileMetadata
from convoscope_gateway.app import create_app
from convoscope_gateway.auth import owner_digest
from convoscope_gateway.routes.upload import file_id_for

pytestmark = pytest.mark.integration

KEYS = ("key-a", "key-b")
FILE_SHA = "ab" * 32


@pytest.fixture
async def client(nats_url: str, js: JetStreamContext) -> AsyncIterator[TestClient]:
    settings = Settings(nats_url=nats_url, api_keys=KEYS, rate_limit_per_minute=0)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def _as(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


async def _put_upload(stores: Stores, key: str) -> str:
    """A parsed upload of the same bytes, owned by ``key``; returns its file id."""
    owner = owner_digest(key)
    file_id = file_id_for(FILE_SHA, owner)
    now = utcnow()
    await stores.put_file(
        FileRecord(
            file_id=file_id,
            file_hash=f"sha256:{FILE_SHA}",
            upload_object=FILE_SHA,
            corpus_object=f"{FILE_SHA}.v1",
            metadata=FileMetadata(size=10, conversations=1, messages=2),
            owner=owner,
            created_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    return file_id


async def test_reserved_keys_of_the_jobs_bucket_are_not_jobs(
    client: TestClient, js: JetStreamContext
) -> None:
    stores = await Stores.open(js)
    await record_throughput(stores, 1000, 1.0)  # analyzers keep this record in `jobs`
    for key in KEYS:
        resp = await client.get(f"/api/analysis/{THROUGHPUT_KEY}", headers=_as(key))
        assert resp.status == 404, await resp.text()
        resp = await client.delete(f"/api/analysis/{THROUGHPUT_KEY}", headers=_as(key))
        assert resp.status == 404, await resp.text()
        resp = await client.post(
            "/api/export", json={"job_id": THROUGHPUT_KEY, "formats": ["csv"]}, headers=_as(key)
        )
        assert resp.status == 404, await resp.text()
    # and the estimate still works afterwards
    assert (await stores.jobs.get(THROUGHPUT_KEY)).value


async def test_error_responses_are_counted_in_the_request_metrics(client: TestClient) -> None:
    resp = await client.get("/api/analysis/job_nobody_has", headers=_as("key-a"))
    assert resp.status == 404
    resp = await client.get("/api/upload/f_nothing")  # no key: 401
    assert resp.status == 401
    # With API keys configured, /metrics needs one too.
    assert (await client.get("/metrics")).status == 401
    text = await (await client.get("/metrics", headers=_as("key-a"))).text()
    counted = [line for line in text.splitlines() if line.startswith("convoscope_http_requests")]
    assert any('route="/api/analysis/{job_id}"' in ln and 'status="404"' in ln for ln in counted)
    assert any('route="/api/upload/{file_id}"' in ln and 'status="401"' in ln for ln in counted)


async def test_cached_results_of_one_key_are_invisible_to_another(
    client: TestClient, js: JetStreamContext
) -> None:
    stores = await Stores.open(js)
    file_a = await _put_upload(stores, "key-a")
    file_b = await _put_upload(stores, "key-b")

    # Key A analyses the file; an analyzer stores the result under the job's cache key.
    resp = await client.post("/api/analysis", json={"file_id": file_a}, headers=_as("key-a"))
    assert resp.status == 202
    job_a = await stores.get_job((await resp.json())["job_id"])
    assert job_a is not None
    await stores.results_data.put(job_a.cache_key, b"results")
    now = utcnow()
    await stores.put_result_index(
        ResultIndex(
            cache_key=job_a.cache_key,
            results_object=job_a.cache_key,
            size=7,
            file_hash=f"sha256:{FILE_SHA}",
            engine_version=ENGINE_VERSION,
            created_at=now,
            last_access=now,
        )
    )
    resp = await client.get(f"/api/upload/{file_a}", headers=_as("key-a"))
    assert (await resp.json())["cached_results"] is True

    # Key B uploaded the same bytes: it must not learn that A analysed them,
    # nor share (and so be able to delete) A's results.
    resp = await client.get(f"/api/upload/{file_b}", headers=_as("key-b"))
    assert (await resp.json())["cached_results"] is False
    resp = await client.post("/api/analysis", json={"file_id": file_b}, headers=_as("key-b"))
    assert resp.status == 202
    body = await resp.json()
    assert body["status"] == "pending"
    resp = await client.delete(f"/api/analysis/{body['job_id']}", headers=_as("key-b"))
    assert resp.status == 200
    assert await stores.get_result_index(job_a.cache_key) is not None


async def test_cancelling_a_queued_job_tells_its_subscribers(
    client: TestClient, js: JetStreamContext, nc: Any
) -> None:
    # No analyzer runs here, so nobody else will ever say the job was cancelled.
    stores = await Stores.open(js)
    file_a = await _put_upload(stores, "key-a")
    resp = await client.post("/api/analysis", json={"file_id": file_a}, headers=_as("key-a"))
    job_id = (await resp.json())["job_id"]
    heard: asyncio.Queue[str] = asyncio.Queue()

    async def on_event(msg: Any) -> None:
        await heard.put(msg.subject.rsplit(".", 1)[-1])

    sub = await nc.subscribe(f"{names.PREFIX}.events.{job_id}.*", cb=on_event)
    try:
        resp = await client.delete(f"/api/analysis/{job_id}", headers=_as("key-a"))
        assert (await resp.json())["status"] == "cancelled"
        assert await asyncio.wait_for(heard.get(), 5) == "cancelled"
    finally:
        await sub.unsubscribe()
