"""Issue 7: JOB_TIMEOUT, API keys with per-key visibility, rate limiting, health and metrics."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import socketio

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import DATA, finished, poll_job, start_analysis, upload
from tests.export_texts import load_generator


async def test_job_timeout_ends_the_job_as_failed_with_a_clear_error(tmp_path: Path) -> None:
    env = {**E2E_ENV, "CONVOSCOPE_JOB_TIMEOUT": "1"}
    data = load_generator().generate_claude_export(1500, seed=201)
    with Stack(tmp_path, port=free_port(), env=env) as stack:
        async with aiohttp.ClientSession(base_url=stack.url) as http:
            _, uploaded = await upload(http, data, "big.json")
            job = await start_analysis(http, uploaded["file_id"])
            body = await poll_job(http, job["job_id"], finished)
    assert body["status"] == "failed"
    assert body["error"]["code"] == "job_timeout"
    assert "JOB_TIMEOUT" in body["error"]["message"]
    assert body["results"] is None


async def test_api_keys_isolate_owners_and_rate_limit_answers_429(tmp_path: Path) -> None:
    env = {
        **E2E_ENV,
        "CONVOSCOPE_API_KEYS": "key-alice,key-bob",
        "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "30",
    }
    sample = (DATA / "claude_sample.json").read_bytes()
    with Stack(tmp_path, port=free_port(), env=env) as stack:
        alice = aiohttp.ClientSession(base_url=stack.url, headers={"X-API-Key": "key-alice"})
        bob = aiohttp.ClientSession(base_url=stack.url, headers={"Authorization": "Bearer key-bob"})
        anon = aiohttp.ClientSession(base_url=stack.url)
        try:
            async with anon.get("/api/health") as resp:
                assert resp.status == 200  # the only open route
            for path in ("/metrics", "/api/openapi.json", "/api/healthz"):
                async with anon.get(path) as resp:
                    assert resp.status == 401, path
            async with alice.get("/metrics") as resp:
                assert resp.status == 200
            status, body = await upload(anon, sample, "c.json")
            assert (status, body["error"]) == (401, "unauthorized")
            async with anon.get("/api/upload/f_x", headers={"X-API-Key": "wrong"}) as resp:
                assert resp.status == 401

            status, mine = await upload(alice, sample, "c.json")
            assert status == 200
            job = await start_analysis(alice, mine["file_id"])
            # Slow polling: Alice's budget (30 a minute) must last the whole test.
            await poll_job(alice, job["job_id"], finished, interval=2.5)
            for path in (f"/api/upload/{mine['file_id']}", f"/api/analysis/{job['job_id']}"):
                async with bob.get(path) as resp:
                    assert resp.status == 404, path
                async with alice.get(path) as resp:
                    assert resp.status == 200, path
            async with bob.post(
                "/api/export", json={"job_id": job["job_id"], "formats": ["json"]}
            ) as resp:
                assert resp.status == 404
            async with bob.delete(f"/api/analysis/{job['job_id']}") as resp:
                assert resp.status == 404
            # Bob's own upload of the same bytes is his own file.
            status, his = await upload(bob, sample, "c.json")
            assert status == 200 and his["file_id"] != mine["file_id"]

            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(stack.url, transports=["websocket"], auth={"api_key": "key-bob"})
            ack = await sio.call("subscribe", {"job_id": job["job_id"]}, timeout=10)
            assert ack["ok"] is False  # Alice's job does not exist for Bob
            await sio.disconnect()
            refused = socketio.AsyncClient(reconnection=False)
            try:
                await refused.connect(stack.url, transports=["websocket"])
                raise AssertionError("a Socket.IO client without a key was let in")
            except socketio.exceptions.ConnectionError:
                pass

            statuses = []
            for _ in range(40):
                async with bob.get("/api/upload/f_nothing") as resp:
                    statuses.append(resp.status)
                    if resp.status == 429:
                        retry_after = resp.headers["Retry-After"]
                        assert (await resp.json())["error"] == "rate_limited"
                        break
            assert 429 in statuses and int(retry_after) >= 1
            async with alice.get(f"/api/upload/{mine['file_id']}") as resp:
                assert resp.status == 200  # limits are per client
        finally:
            await alice.close()
            await bob.close()
            await anon.close()


async def test_health_and_every_service_serves_metrics(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    async with http.get("/api/health") as resp:
        assert resp.status == 200
        health = await resp.json()
    assert health["status"] == "healthy"
    assert health["version"]
    assert health["nats"] == "connected"
    assert {"ingest", "analyzer", "exporter"} <= set(health["services"])
    assert isinstance(health["uptime"], float | int) and health["uptime"] >= 0
    assert isinstance(health["active_jobs"], int) and isinstance(health["cache_size"], int)
    async with http.get("/metrics") as resp:
        text = await resp.text()
    for name in (
        "convoscope_http_requests_total",
        "convoscope_http_request_seconds",
        "convoscope_socketio_connections",
        "convoscope_jobs_queue_depth",
    ):
        assert name in text, name
    for service, port in stack.metrics_ports.items():
        async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert "python_info" in await resp.text(), service
