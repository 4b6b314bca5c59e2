"""Issue 2, point 4: upload, analysis, live events, results and a CSV export over the bus."""

from __future__ import annotations

import csv
import io
import zipfile

import aiohttp

from convoscope_stack.stack import Stack
from tests.e2e.helpers import DATA, EventLog, export_files, metric_value, upload


async def test_upload_analyse_watch_export(http: aiohttp.ClientSession, events: EventLog) -> None:
    status, body = await upload(
        http, (DATA / "claude_sample.json").read_bytes(), "conversations.json"
    )
    assert status == 200, body
    assert body["file_hash"].startswith("sha256:")
    meta = body["metadata"]
    assert meta["conversations"] == 3
    assert meta["messages"] > 0
    assert len(meta["date_range"]) == 2
    assert meta["size"] == (DATA / "claude_sample.json").stat().st_size

    async with http.post("/api/analysis", json={"file_id": body["file_id"]}) as resp:
        assert resp.status == 202, await resp.text()
        accepted = await resp.json()
    assert accepted["status"] == "pending"
    assert accepted["estimated_duration"] > 0
    job_id = accepted["job_id"]

    ack = await events.client.call("subscribe", {"job_id": job_id}, timeout=10)
    assert ack["ok"] is True
    complete = await events.wait_for("complete")
    assert complete == {
        "job_id": job_id,
        "status": "complete",
        "results_url": f"/api/analysis/{job_id}",
    }
    progress = events.named("progress")
    assert progress, "no progress event arrived"
    for event in progress:
        assert set(event) >= {"job_id", "progress", "current_step", "message", "insights"}
        assert event["job_id"] == job_id
    values = [event["progress"] for event in progress]
    assert values == sorted(values), "progress went backwards"

    async with http.get(f"/api/analysis/{job_id}") as resp:
        assert resp.status == 200
        result = await resp.json()
    assert result["status"] == "complete"
    assert result["progress"] == 100
    summary = result["results"]["summary"]
    assert summary["conversations"] == meta["conversations"]
    assert summary["messages"] == meta["messages"]

    # 200 with the files, or 202 and a status URL when the exporter is slow to answer.
    exported = await export_files(http, {"job_id": job_id, "formats": ["csv"]})
    [file] = exported["files"]
    assert file["format"] == "csv"
    async with http.get(file["url"]) as resp:
        assert resp.status == 200
        data = await resp.read()
        assert "attachment" in resp.headers["Content-Disposition"]
    assert len(data) == file["size"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        messages_csv = next(n for n in archive.namelist() if n.endswith("messages.csv"))
        rows = list(csv.DictReader(io.StringIO(archive.read(messages_csv).decode("utf-8-sig"))))
    assert len(rows) == summary["messages"]


async def test_same_bytes_are_stored_and_parsed_once(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    ingest_metrics = f"http://127.0.0.1:{stack.metrics_ports['ingest']}/metrics"

    async def counters() -> tuple[float, float]:
        async with http.get("/metrics") as resp:
            gateway = await resp.text()
        async with http.get(ingest_metrics) as resp:
            ingest = await resp.text()
        return (
            metric_value(gateway, "convoscope_uploads_total", 'outcome="deduplicated"'),
            metric_value(ingest, "convoscope_ingest_parses_total", 'outcome="ok"'),
        )

    data = (DATA / "claude_sample_legacy.json").read_bytes()
    first_status, first = await upload(http, data, "a.json")
    deduplicated, parsed = await counters()
    second_status, second = await upload(http, data, "b.json")
    assert first_status == second_status == 200
    assert first["file_id"] == second["file_id"]
    assert await counters() == (deduplicated + 1, parsed)  # served from the record, not parsed
    async with http.get(f"/api/upload/{first['file_id']}") as resp:
        info = await resp.json()
    assert info["metadata"] == first["metadata"]
    assert info["cached_results"] is False


async def test_unknown_job_gets_an_error_event(events: EventLog) -> None:
    ack = await events.client.call("subscribe", {"job_id": "job_nope"}, timeout=10)
    assert ack["ok"] is False
    error = await events.wait_for("error", timeout=10)
    assert error["job_id"] == "job_nope"
    assert "unknown job" in error["error"]
