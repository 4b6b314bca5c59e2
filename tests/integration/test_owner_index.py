"""Deletes and listings read index records, never a whole bucket (issue 15, "no endpoint
scans every key of a bucket per request"), and a cache hit racing with the DELETE of
the result's last job never completes on deleted results (issue 11).

The gateway, ingest, analyzer and exporter run in this process on a real nats-server.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_common import owner_index, ownership
from convoscope_common.clock import new_id, utcnow
from convoscope_common.options import AnalysisOptions
from convoscope_common.records import ExportState, FileRecord, JobState
from convoscope_common.storage import Stores
from convoscope_common.wire import FileMetadata
from convoscope_gateway.state import GATEWAY

from .test_job_ownership import System, _analyse, _keys, _system, _upload

pytestmark = pytest.mark.integration

UNRELATED = 120


class CountingKV:
    """A KV handle that counts the calls that read keys (and delegates everything)."""

    def __init__(self, kv: Any, calls: Counter[str], name: str) -> None:
        self._kv, self._calls, self._name = kv, calls, name

    def __getattr__(self, attr: str) -> Any:
        real = getattr(self._kv, attr)
        if attr in ("get", "keys", "watch", "watchall", "history"):

            async def counted(*args: Any, **kwargs: Any) -> Any:
                self._calls[f"{self._name}.{attr}"] += 1
                return await real(*args, **kwargs)

            return counted
        return real


def _count_reads(stores: Stores) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in ("files", "jobs", "exports", "results", "refs", "index"):
        setattr(stores, name, CountingKV(getattr(stores, name), calls, name))
    return calls


async def _unrelated(stores: Stores, n: int) -> None:
    """``n`` uploads of someone else, each with a job and an export, all indexed."""
    now = utcnow()
    for i in range(n):
        file_id, job_id, export_id = f"f_other{i:04d}", new_id("job"), new_id("export")
        owner = f"{i:024x}"
        objects = (f"{i:064x}", f"{i:064x}.v9")
        await owner_index.add_file(stores, file_id, owner, objects)
        await stores.put_file(
            FileRecord(
                file_id=file_id, file_hash=f"sha256:{i:064x}", filename="x.json",
                upload_object=objects[0], corpus_object=objects[1],
                metadata=FileMetadata(size=1, conversations=1, messages=1),
                owner=owner, created_at=now, expires_at=now + timedelta(hours=1),
            )
        )  # fmt: skip
        await owner_index.add_job(stores, file_id, job_id, owner)
        await stores.put_job(
            JobState(
                job_id=job_id, file_id=file_id, cache_key=f"{i:064x}.x", owner=owner,
                options=AnalysisOptions(), created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await owner_index.add_export(stores, job_id, export_id)
        await stores.put_export(
            ExportState(export_id=export_id, job_id=job_id, owner=owner, created_at=now,
                        updated_at=now, expires_at=now + timedelta(hours=1))
        )  # fmt: skip


@pytest.fixture
async def system(nats_url: str, js: JetStreamContext, nc: NATS) -> Any:
    async with _system(nats_url, js, nc) as running:
        yield running


async def _export(system: System, job_id: str) -> dict[str, Any]:
    resp = await system.client.post("/api/export", json={"job_id": job_id, "formats": ["json"]})
    export: dict[str, Any] = await resp.json()
    async with asyncio.timeout(60):
        while export["status"] not in ("complete", "failed"):
            await asyncio.sleep(0.1)
            export = await (await system.client.get(f"/api/export/{export['export_id']}")).json()
    assert export["status"] == "complete", export
    return export


async def test_deletes_read_only_the_related_records(system: System) -> None:
    """Before: DELETE /api/analysis listed every key of `exports`, DELETE /api/upload every
    key of `jobs` and `files` (and read each record) — O(bucket) per request."""
    client, stores = system.client, system.stores
    status, upload = await _upload(client)
    assert status == 200, upload
    first = await _analyse(client, upload["file_id"])
    resp = await client.post(
        "/api/analysis", json={"file_id": upload["file_id"], "options": {"timezone": "Asia/Tokyo"}}
    )
    second_id = (await resp.json())["job_id"]
    await _export(system, first["job_id"])
    await _unrelated(stores, UNRELATED)
    gw_stores = client.server.app[GATEWAY].stores
    calls = _count_reads(gw_stores)

    # DELETE of one analysis: its own export only.
    resp = await client.delete(f"/api/analysis/{first['job_id']}")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["exports_deleted"] == 1
    assert not any(name.endswith((".keys", ".watchall", ".history")) for name in calls), calls
    assert calls["exports.get"] <= 2, calls  # the one export, not 121
    calls.clear()

    # Listing my analyses and uploads: my records only.
    assert (await client.get("/api/analyses")).status == 200
    assert (await client.get("/api/uploads")).status == 200
    assert not any(name.endswith(".keys") for name in calls), calls
    assert calls["jobs.get"] <= 4 and calls["files.get"] <= 2, calls
    calls.clear()

    # DELETE of the upload: its remaining job, its objects' users — nothing else.
    async with asyncio.timeout(120):
        while True:
            second = await (await client.get(f"/api/analysis/{second_id}")).json()
            if second["status"] not in ("pending", "processing"):
                break
            await asyncio.sleep(0.1)
    calls.clear()
    resp = await client.delete(f"/api/upload/{upload['file_id']}")
    assert resp.status == 200, await resp.text()
    deleted = await resp.json()
    assert deleted["jobs_deleted"] == 1 and deleted["results_deleted"] >= 1
    assert not any(name.endswith((".keys", ".watchall", ".history")) for name in calls), calls
    assert calls["jobs.get"] <= 3, calls
    assert calls["files.get"] <= 3, calls
    assert calls["exports.get"] <= 1, calls

    # Everything of the upload is gone; every unrelated record is still there.
    assert (await client.get(f"/api/upload/{upload['file_id']}")).status == 404
    assert (await client.get(f"/api/analysis/{second_id}")).status == 404
    assert len(await _keys(stores.files)) == UNRELATED
    assert len(await _keys(stores.exports)) == UNRELATED
    left = await _keys(stores.index)
    assert not [k for k in left if upload["file_id"] in k or first["job_id"] in k], left
    # owner.file, 2 objects, file.job, owner.job, job.export
    assert len(left) == UNRELATED * 6


async def test_bytes_shared_with_another_upload_record_stay(system: System) -> None:
    """The same bytes under two file ids (two keys): deleting one keeps the objects the
    other still uses (found through the object index, not a listing of `files`)."""
    client, stores = system.client, system.stores
    status, upload = await _upload(client)
    assert status == 200, upload
    record = await stores.get_file(upload["file_id"])
    assert record is not None
    twin = FileRecord(
        file_id="f_twin", file_hash=record.file_hash, filename="same.json",
        upload_object=record.upload_object, corpus_object=record.corpus_object,
        metadata=record.metadata, owner="0" * 24, created_at=record.created_at,
        expires_at=record.expires_at,
    )  # fmt: skip
    await owner_index.add_file(stores, twin.file_id, twin.owner, (twin.upload_object,))
    await owner_index.add_file(stores, twin.file_id, twin.owner, (twin.corpus_object,))
    await stores.put_file(twin)
    resp = await client.delete(f"/api/upload/{upload['file_id']}")
    assert resp.status == 200, await resp.text()
    assert await stores.object_exists(stores.uploads, record.upload_object)
    assert await stores.object_exists(stores.corpora, record.corpus_object)


async def test_a_cache_hit_racing_with_the_delete_of_the_last_job_keeps_its_results(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Job A owns a cached result; DELETE A drops A's reference, finds none left and
    deletes the result. A POST of the same analysis (B) lands between that check and the
    deletion. Before: B completed from the cache, then its results were deleted (B
    answered 404 while `complete`)."""
    client = system.client
    status, upload = await _upload(client)
    assert status == 200, upload
    first = await _analyse(client, upload["file_id"])
    assert first["status"] == "complete"
    real_delete = ownership.delete_results
    hit: dict[str, Any] = {}

    async def delete_with_a_hit_in_between(stores: Stores, key: str) -> bool:
        if not hit:  # the racing POST, after the reference check, before the deletion
            resp = await client.post("/api/analysis", json={"file_id": upload["file_id"]})
            hit.update(await resp.json(), http=resp.status)
        return await real_delete(stores, key)

    monkeypatch.setattr(ownership, "delete_results", delete_with_a_hit_in_between)
    resp = await client.delete(f"/api/analysis/{first['job_id']}")
    assert resp.status == 200, await resp.text()
    assert hit, "the race window was not reached"
    monkeypatch.setattr(ownership, "delete_results", real_delete)
    # Whatever B was told (a hit that kept the result, or a miss that ran again), B ends
    # complete with results.
    async with asyncio.timeout(120):
        while True:
            resp = await client.get(f"/api/analysis/{hit['job_id']}")
            assert resp.status == 200, (hit, await resp.text())
            body = await resp.json()
            if body["status"] not in ("pending", "processing"):
                break
            await asyncio.sleep(0.1)
    assert body["status"] == "complete", body
    assert body["results"]["summary"]["conversations"] > 0
