"""Issue 7 point 2 and 3: priority, concurrency, cancel, cache hits, export errors, drill-down."""

from __future__ import annotations

import asyncio
import itertools
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from convoscope_stack.stack import Stack
from tests.e2e.helpers import (
    DATA,
    EventLog,
    finished,
    metric_value,
    poll_job,
    start_analysis,
    upload,
)
from tests.export_texts import load_generator

# One job at a time per analyzer replica, so ordering is observable.
STACK_ENV = {"CONVOSCOPE_MAX_CONCURRENT_JOBS": "1"}


async def _upload_generated(http: aiohttp.ClientSession, conversations: int, seed: int) -> str:
    status, body = await upload(
        http, load_generator().generate_claude_export(conversations, seed=seed), "export.json"
    )
    assert status == 200, body
    return str(body["file_id"])


def _interval(body: dict[str, Any]) -> tuple[datetime, datetime]:
    return (datetime.fromisoformat(body["started_at"]), datetime.fromisoformat(body["finished_at"]))


async def test_high_priority_jobs_go_first_and_one_runs_at_a_time(
    http: aiohttp.ClientSession,
) -> None:
    first, low, high = [await _upload_generated(http, 400, seed) for seed in (101, 102, 103)]
    a = await start_analysis(http, first, priority="low")
    await poll_job(http, a["job_id"], lambda b: b["status"] == "processing")
    b = await start_analysis(http, low, priority="low")
    c = await start_analysis(http, high, priority="high")
    done = {job["job_id"]: await poll_job(http, job["job_id"], finished) for job in (a, b, c)}
    assert all(body["status"] == "complete" for body in done.values()), done
    intervals = sorted(_interval(body) for body in done.values())
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "two jobs ran at once with MAX_CONCURRENT_JOBS=1"
    assert _interval(done[c["job_id"]])[0] < _interval(done[b["job_id"]])[0], (
        "the high-priority job did not start before the earlier low-priority one"
    )


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used: work done, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_cancel_stops_the_worker_and_keeps_no_results(
    http: aiohttp.ClientSession, events: EventLog, stack: Stack
) -> None:
    analyzer_metrics = f"http://127.0.0.1:{stack.metrics_ports['analyzer']}/metrics"
    analyzer_pid = stack.processes()["analyzer"].pid

    async def outcome(name: str) -> float:
        async with http.get(analyzer_metrics) as resp:
            text = await resp.text()
        return metric_value(text, "convoscope_analyzer_jobs_total", f'outcome="{name}"')

    cancelled_before, complete_before = await outcome("cancelled"), await outcome("complete")
    file_id = await _upload_generated(http, 1500, seed=104)
    cpu_start = _cpu_seconds(analyzer_pid)
    job = await start_analysis(http, file_id)
    job_id = job["job_id"]
    await events.client.call("subscribe", {"job_id": job_id}, timeout=10)
    # Well into the engine, so the work done so far measures the analyzer's pace.
    running = await poll_job(
        http, job_id, lambda b: b["status"] == "processing" and b["progress"] >= 30
    )
    cpu_at_cancel = _cpu_seconds(analyzer_pid)
    async with http.delete(f"/api/analysis/{job_id}") as resp:
        assert resp.status == 200
        answer = await resp.json()
    assert answer["status"] == "cancelled"
    assert answer["previous_status"] == "processing"
    # The DELETE made the transition, so it announced it, once.
    cancelled = await events.wait_for("cancelled", timeout=30)
    assert cancelled == {"job_id": job_id, "status": "cancelled"}
    # The analyzer itself counts the job as cancelled (the gateway's `cancelled` event and
    # KV write prove nothing about the worker) ...
    async with asyncio.timeout(180):
        while True:
            if await outcome("cancelled") >= cancelled_before + 1:
                break
            await asyncio.sleep(0.1)
    cpu_after = _cpu_seconds(analyzer_pid)
    assert await outcome("cancelled") == cancelled_before + 1
    assert await outcome("complete") == complete_before
    # ... and stopped at a checkpoint: a worker that ignored the cancel (and noticed it
    # only once the pipeline was done) would first have done the rest of the work, about
    # (95 - p) / p times what it did up to p % - in CPU seconds, whatever the machine's load.
    done, rest = cpu_at_cancel - cpu_start, cpu_after - cpu_at_cancel
    p = float(running["progress"])
    assert rest < 0.3 * done * (95 - p) / p, (rest, done, p)
    assert len(events.named("cancelled")) == 1
    async with http.get(f"/api/analysis/{job_id}") as resp:
        body = await resp.json()
    assert body["status"] == "cancelled"
    assert body["results"] is None
    async with http.get(f"/api/upload/{file_id}") as resp:
        assert (await resp.json())["cached_results"] is False
    assert not events.named("complete")
    await _assert_catch_up_matches_live(stack, job_id, events)


async def _assert_catch_up_matches_live(stack: Stack, job_id: str, live: EventLog) -> None:
    """A client subscribing now gets the same payloads the live subscriber got."""
    late = EventLog()
    await late.client.connect(stack.url, transports=["websocket"])
    try:
        await late.client.call("subscribe", {"job_id": job_id}, timeout=10)
        final = next(name for name in ("complete", "error", "cancelled") if live.named(name))
        caught_up = await late.wait_for(final, timeout=10)
        progress = await late.wait_for("progress", timeout=10)
    finally:
        await late.client.disconnect()
    assert caught_up == live.named(final)[0], final
    for event in live.named("progress"):
        assert set(progress) == set(event), (progress, event)
        assert {k: type(v) for k, v in progress.items()} == {k: type(v) for k, v in event.items()}


async def test_a_late_subscriber_gets_what_live_subscribers_got(
    http: aiohttp.ClientSession, events: EventLog, stack: Stack
) -> None:
    file_id = await _upload_generated(http, 200, seed=105)
    job = await start_analysis(http, file_id)
    await events.client.call("subscribe", {"job_id": job["job_id"]}, timeout=10)
    complete = await events.wait_for("complete", timeout=120)
    assert complete == {
        "job_id": job["job_id"],
        "status": "complete",
        "results_url": f"/api/analysis/{job['job_id']}",
    }
    await _assert_catch_up_matches_live(stack, job["job_id"], events)


async def test_same_file_and_options_complete_from_the_cache(http: aiohttp.ClientSession) -> None:
    status, uploaded = await upload(http, (DATA / "claude_sample.json").read_bytes(), "c.json")
    assert status == 200
    file_id = uploaded["file_id"]
    first = await start_analysis(http, file_id, timezone="Europe/Paris")
    await poll_job(http, first["job_id"], finished)
    async with http.get("/metrics") as resp:
        hits_before = metric_value(
            await resp.text(), "convoscope_cache_lookups_total", 'result="hit"'
        )
    again = await start_analysis(http, file_id, timezone="Europe/Paris")
    assert again["status"] == "complete"
    assert again["estimated_duration"] == 0
    async with http.get(f"/api/analysis/{again['job_id']}") as resp:
        cached = await resp.json()
    assert cached["from_cache"] is True
    async with http.get(f"/api/analysis/{first['job_id']}") as resp:
        original = await resp.json()
    assert cached["results"] == original["results"]
    async with http.get("/metrics") as resp:
        hits_after = metric_value(
            await resp.text(), "convoscope_cache_lookups_total", 'result="hit"'
        )
    assert hits_after == hits_before + 1
    other = await start_analysis(http, file_id, timezone="Asia/Tokyo")
    assert other["status"] == "pending"
    async with http.get(f"/api/upload/{file_id}") as resp:
        assert (await resp.json())["cached_results"] is True


async def test_export_and_analysis_errors_are_clear(http: aiohttp.ClientSession) -> None:
    async def post(path: str, payload: Any) -> tuple[int, dict[str, Any]]:
        async with http.post(path, json=payload) as resp:
            return resp.status, await resp.json()

    status, body = await post("/api/export", {"job_id": "job_missing", "formats": ["csv"]})
    assert (status, body["error"]) == (404, "not_found")
    status, body = await post("/api/analysis", {"file_id": "f_missing"})
    assert status == 404 and "upload" in body["message"]
    status, body = await post("/api/analysis", {"file_id": "x", "options": {"timezone": "Mars"}})
    assert status == 422 and "timezone" in body["message"]
    status, body = await post("/api/analysis", {"file_id": "x", "options": {"bogus": 1}})
    assert status == 422
    async with http.post(
        "/api/analysis", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400
        assert "not valid JSON" in (await resp.json())["message"]

    status, uploaded = await upload(http, (DATA / "chatgpt_sample.json").read_bytes(), "g.json")
    file_id = await _upload_generated(http, 1500, seed=105)
    pending = await start_analysis(http, file_id)
    status, body = await post("/api/export", {"job_id": pending["job_id"], "formats": ["csv"]})
    assert status == 409 and "not complete" in body["message"]
    async with http.delete(f"/api/analysis/{pending['job_id']}"):
        pass

    done = await start_analysis(http, uploaded["file_id"])
    await poll_job(http, done["job_id"], finished)
    status, body = await post("/api/export", {"job_id": done["job_id"], "formats": ["docx"]})
    assert status == 422 and "formats" in body["message"]
    status, body = await post(
        "/api/export",
        {"job_id": done["job_id"], "formats": ["csv"], "options": {"include_pii": True}},
    )
    assert status == 403 and "CONVOSCOPE_ALLOW_INCLUDE_PII" in body["message"]
    status, body = await post(
        "/api/export",
        {"job_id": done["job_id"], "formats": ["csv"], "options": {"filter": {"colour": "red"}}},
    )
    assert status == 422, body
    status, body = await post(
        "/api/export",
        {
            "job_id": done["job_id"],
            "formats": ["csv"],
            "options": {"filter": {"date_from": "2026-06-01", "date_to": "2026-01-01"}},
        },
    )
    assert status == 422 and "date_from is after" in body["message"]


async def test_drilldown_traces_aggregates_to_ids(http: aiohttp.ClientSession) -> None:
    _, uploaded = await upload(http, (DATA / "claude_sample.json").read_bytes(), "d.json")
    job = await start_analysis(http, uploaded["file_id"], enable_privacy=False)
    result = await poll_job(http, job["job_id"], finished)
    sentiment = result["results"]["sentiment"]
    label, count = next((k, v) for k, v in sentiment["labels"].items() if v)
    async with http.get(
        f"/api/analysis/{job['job_id']}/drilldown",
        params={"sentiment_label": label, "role": "user"},
    ) as resp:
        assert resp.status == 200, await resp.text()
        ids = await resp.json()
    assert ids["messages"] == count == len(ids["message_ids"])
    async with http.get(f"/api/analysis/{job['job_id']}/drilldown", params={"hour": "25"}) as resp:
        assert resp.status == 422
    async with http.get(
        f"/api/analysis/{job['job_id']}/drilldown", params={"nonsense": "1"}
    ) as resp:
        assert resp.status == 422


async def test_drilldown_pages_its_ids(http: aiohttp.ClientSession) -> None:
    """Without a filter a drill-down names every message: it comes in pages (a reply
    over NATS's 1 MiB payload limit once made the gateway wait 30 s for a 503)."""
    _, uploaded = await upload(http, (DATA / "chatgpt_sample.json").read_bytes(), "p.json")
    job = await start_analysis(http, uploaded["file_id"], enable_privacy=False)
    await poll_job(http, job["job_id"], finished)
    url = f"/api/analysis/{job['job_id']}/drilldown"
    async with http.get(url) as resp:
        whole = await resp.json()
    assert whole["next_cursor"] is None and len(whole["message_ids"]) == whole["messages"] > 2
    seen_messages: list[str] = []
    seen_conversations: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        async with http.get(url, params=params) as resp:
            assert resp.status == 200, await resp.text()
            page = await resp.json()
        assert len(page["message_ids"]) <= 2 and page["messages"] == whole["messages"]
        seen_messages += page["message_ids"]
        seen_conversations += page["conversation_ids"]
        if page["next_cursor"] is None:
            break
        params = {"limit": "2", "cursor": page["next_cursor"]}
    assert seen_messages == whole["message_ids"]
    assert seen_conversations == whole["conversation_ids"]
    # A cursor belongs to its query; limits are bounded.
    async with http.get(url, params={"role": "user", "cursor": params["cursor"]}) as resp:
        assert resp.status == 422
    async with http.get(url, params={"limit": "100000"}) as resp:
        assert resp.status == 422
