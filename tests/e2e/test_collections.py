"""Issue 17 through the whole stack: a collection of two claude.ai and two ChatGPT exports
analysed as one (duplicates merged, the newest version kept), compared by vendor and
model, exported share-safe, and deleted with a member upload."""

from __future__ import annotations

import asyncio
import re
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.helpers import EventLog, export_files, finished, poll_job, upload

COLLECTION_DATA = Path(__file__).resolve().parents[1] / "data" / "collections"
NAMES = ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")
INVENTED = ("zephyrine", "marmalix", "brontavel", "vellichor", "grimbleton", "quokkaline")


async def _uploads(http: aiohttp.ClientSession) -> list[str]:
    ids = []
    for name in NAMES:
        status, body = await upload(http, (COLLECTION_DATA / f"{name}.json").read_bytes(), name)
        assert status == 200, body
        ids.append(body["file_id"])
    return ids


def _pdf_text(path: Path) -> str:
    run = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return run.stdout


async def _json(resp: aiohttp.ClientResponse, status: int) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def test_a_collection_is_analysed_compared_exported_and_deleted(
    http: aiohttp.ClientSession, events: EventLog, tmp_path: Path
) -> None:
    ids = await _uploads(http)
    async with http.post(
        "/api/collections", json={"name": "All my chats", "file_ids": ids[:3]}
    ) as r:
        created = await _json(r, 201)
    cid = created["collection_id"]
    assert [u["file_id"] for u in created["uploads"]] == ids[:3]
    async with http.post(f"/api/collections/{cid}/uploads", json={"file_ids": [ids[3]]}) as r:
        assert len((await _json(r, 200))["uploads"]) == 4
    async with http.get("/api/collections") as r:
        assert [c["collection_id"] for c in (await _json(r, 200))["collections"]] == [cid]

    async with http.post(f"/api/collections/{cid}/analysis", json={}) as r:
        accepted = await _json(r, 202)
    job_id = accepted["job_id"]
    await events.client.emit("subscribe", {"job_id": job_id})
    body = await poll_job(http, job_id, finished)
    assert body["status"] == "complete", body
    await events.wait_for("complete")
    results = body["results"]
    # Six conversations once each: three duplicates merged, one of them edited.
    assert results["summary"]["conversations"] == 6
    assert results["summary"]["messages"] == 16
    vendors = {g["vendor"]: g for g in results["comparison"]["vendors"]}
    assert (vendors["claude"]["messages"], vendors["chatgpt"]["messages"]) == (8, 8)
    assert vendors["claude"]["refusals"] == 1
    models = {g["model"] for g in results["comparison"]["models"]}
    assert {"gpt-4o", "o3", "gpt-4o-mini", "claude: model not in export"} == models
    assert results["usage"]["estimate"] is True and results["usage"]["total"]["messages"] == 16
    # The merged upload's parse health says how many duplicates were merged.
    async with http.get(f"/api/collections/{cid}") as r:
        info = await _json(r, 200)
    assert info["analyses"] == 1
    health = info["merged"]["parse_health"]
    assert (health["members"], health["duplicates_merged"], health["duplicates_changed"]) == (
        4,
        3,
        1,
    )
    assert info["merged"]["source"] == "chatgpt+claude"
    # Pages of the collection's analysis work like any other.
    async with http.get(f"/api/analysis/{job_id}/conversations") as r:
        page = await _json(r, 200)
    assert {c["conversation_id"] for c in page["items"]} >= {"c-taxes", "g-switch"}

    share = await export_files(
        http,
        {"job_id": job_id, "formats": ["html", "pdf"], "options": {"share_safe": True}},
    )
    texts = []
    for file in share["files"]:
        async with http.get(file["url"]) as r:
            data = await r.read()
        if file["format"] == "pdf":
            path = tmp_path / "share.pdf"
            path.write_bytes(data)
            texts.append(await asyncio.to_thread(_pdf_text, path))
        else:
            texts.append(unescape(re.sub(r"<[^>]+>", " ", data.decode())))
    for text in texts:
        assert "share-safe" in text
        for word in INVENTED:
            assert word not in text.lower()
    async with http.post(
        "/api/export", json={"job_id": job_id, "formats": ["csv"], "options": {"share_safe": True}}
    ) as r:
        assert r.status == 422

    # Deleting a member upload deletes the collection's analyses; the collection stays.
    async with http.delete(f"/api/upload/{ids[1]}") as r:
        deleted = await _json(r, 200)
    assert deleted["jobs_deleted"] >= 1
    async with http.get(f"/api/analysis/{job_id}") as r:
        assert r.status == 404
    async with http.get(f"/api/collections/{cid}") as r:
        info = await _json(r, 200)
    assert [u["file_id"] for u in info["uploads"]] == [ids[0], ids[2], ids[3]]
    assert info["analyses"] == 0
    async with http.delete(f"/api/collections/{cid}") as r:
        await _json(r, 200)
    async with http.get(f"/api/collections/{cid}") as r:
        assert r.status == 404


async def test_collection_faults_are_clear_json_errors(http: aiohttp.ClientSession) -> None:
    async with http.post("/api/collections", json={"name": "x", "file_ids": ["f_nope"]}) as r:
        assert r.status == 404 and "f_nope" in (await r.json())["message"]
    async with http.post("/api/collections", json={"name": ""}) as r:
        assert r.status in (400, 422)
    async with http.post("/api/collections", json={"name": "empty"}) as r:
        cid = (await _json(r, 201))["collection_id"]
    async with http.post(f"/api/collections/{cid}/analysis", json={}) as r:
        assert r.status == 422
    async with http.post(
        f"/api/collections/{cid}/analysis", json={"options": {"timezone": "Mars/Base"}}
    ) as r:
        assert r.status == 422
    async with http.delete(f"/api/collections/{cid}/uploads/f_nope") as r:
        assert r.status == 404
    async with http.get("/api/collections/col_unknown") as r:
        assert r.status == 404
