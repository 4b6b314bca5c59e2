"""Issue 22: with the launcher's supervision, ``kill -9`` of any one process during a job
costs a delay, not the stack: the process is back within its backoff, the job completes
once, and a subscribed Socket.IO client hears ``complete`` (after reconnecting, when the
gateway itself was killed)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import NATS_SERVER, RECYCLE_ENV, Stack
from convoscope_stack.supervision import ordinal
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import (
    SHORT_POLICY,
    metric_value,
    poll_job,
    start_analysis,
    supervised_stack,
    upload,
)
from tests.export_texts import load_generator

pytestmark = pytest.mark.e2e

POLICY = SHORT_POLICY
# Heartbeats every second show a restarted worker quickly; exports answer 202 at once so
# the exporter can be killed while it renders.
ENV = {
    **E2E_ENV,
    "CONVOSCOPE_HEARTBEAT_INTERVAL": "1",
    "CONVOSCOPE_EXPORT_WAIT": "0",
    # Every restart here is one the test caused and counts: no analyzer recycles itself
    # after a job (that has its own test, test_analyzer_recycling.py).
    RECYCLE_ENV: "0",
}
# Large enough that the analysis is still running when the victim is killed.
CONVERSATIONS = 1000
# One timezone per victim: a distinct cache key, so every case runs a real analysis.
VICTIMS = {
    "analyzer": "Europe/Paris",
    "exporter": "Asia/Tokyo",
    "ingest": "America/Chicago",
    "gateway": "Australia/Sydney",
    NATS_SERVER: "Africa/Nairobi",
}
# Slack over the backoff for the supervisor's poll and the process start.
RESTART_SLACK = 1.5
HEALTHY_WITHIN = 60.0


@cache
def export_bytes() -> bytes:
    data: bytes = load_generator().generate_claude_export(CONVERSATIONS, seed=22)
    return data


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[str]]]:
    """A stack run exactly as ``make run`` runs it, with short backoffs; plus its console."""
    with supervised_stack(tmp_path_factory.mktemp("supervised"), ENV, POLICY) as running:
        yield running


class Subscriber:
    """A Socket.IO client that reconnects on its own and subscribes again each time."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.client = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.connects = 0
        self.completes: list[dict[str, Any]] = []
        self.completed = asyncio.Event()
        self.client.on("connect", self._on_connect)
        self.client.on("complete", self._on_complete)

    async def _on_connect(self) -> None:
        self.connects += 1
        await self.client.emit("subscribe", {"job_id": self.job_id})

    async def _on_complete(self, data: dict[str, Any]) -> None:
        if data.get("job_id") == self.job_id:
            self.completes.append(data)
            self.completed.set()


async def health(http: aiohttp.ClientSession) -> dict[str, Any] | None:
    try:
        async with http.get("/api/health", timeout=aiohttp.ClientTimeout(total=2)) as resp:
            body: dict[str, Any] = await resp.json()
            return body
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None  # the gateway (or its bus) is being restarted


def recovered(stack: Stack, victim: str, body: dict[str, Any] | None, restarts: int) -> bool:
    """Healthy, the victim restarted once more, and (for a worker) heard from since."""
    if body is None or body["status"] != "healthy" or body["nats"] != "connected":
        return False
    proc = body["processes"].get(victim, {})
    if proc.get("state") != "running" or proc.get("restarts") != restarts:
        return False
    if victim in ("analyzer", "exporter", "ingest"):
        assert stack.supervisor is not None
        up_for = time.monotonic() - stack.supervisor.tracks[victim].started_at
        return bool(body["services"].get(victim, 1e9) < up_for)  # a beat of the new process
    return True


async def test_health_lists_every_supervised_process(supervised: tuple[Stack, list[str]]) -> None:
    stack, _console = supervised
    async with aiohttp.ClientSession(base_url=stack.url) as http:
        body = await health(http)
        assert body is not None
        assert set(body["processes"]) == {NATS_SERVER, "ingest", "analyzer", "exporter", "gateway"}
        for name, proc in body["processes"].items():
            assert proc == {
                "state": "running",
                "restarts": 0,
                "last_exit": None,
                "pid": stack.processes()[name].pid,
            }
        async with http.get("/metrics") as resp:
            metrics = await resp.text()
    for name in body["processes"]:
        assert metric_value(metrics, "convoscope_service_up", f'service="{name}"') == 1
        assert metric_value(metrics, "convoscope_service_restarts_total", f'service="{name}"') == 0


async def kill_and_recover(
    stack: Stack, console: list[str], http: aiohttp.ClientSession, victim: str
) -> None:
    """``kill -9`` the victim; it is restarted within its backoff, and the stack is healthy."""
    assert stack.supervisor is not None
    track = stack.supervisor.tracks[victim]
    restarts = track.restarts
    pid = stack.processes()[victim].pid
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    async with asyncio.timeout(HEALTHY_WITHIN):
        while True:
            if recovered(stack, victim, await health(http), restarts + 1):
                break
            await asyncio.sleep(0.2)
    assert stack.processes()[victim].pid != pid
    # The first crash after a healthy run waits the first backoff, not more.
    assert track.started_at - killed <= POLICY.delay(1) + RESTART_SLACK
    assert console[-1] == f"{victim} died (SIGKILL), restarted ({ordinal(restarts + 1)} time)"
    async with http.get("/metrics") as resp:
        metrics = await resp.text()
    restarted = metric_value(metrics, "convoscope_service_restarts_total", f'service="{victim}"')
    assert restarted == restarts + 1


def log_count(stack: Stack, service: str, event: str, **ids: str) -> int:
    """How many times ``service`` logged ``event`` with these ids (logs survive restarts)."""
    count = 0
    for line in (stack.log_dir / f"{service}.log").read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == event and all(entry.get(k) == v for k, v in ids.items()):
            count += 1
    return count


@pytest.mark.parametrize("victim", list(VICTIMS))
async def test_kill_9_during_a_job_costs_only_a_delay(
    supervised: tuple[Stack, list[str]], victim: str
) -> None:
    stack, console = supervised
    async with aiohttp.ClientSession(base_url=stack.url) as http:
        status, body = await upload(http, export_bytes(), "conversations.json")
        assert status == 200, body
        job_id = (await start_analysis(http, body["file_id"], timezone=VICTIMS[victim]))["job_id"]
        sub = Subscriber(job_id)
        await sub.client.connect(stack.url, transports=["websocket"])
        try:
            await poll_job(
                http, job_id, lambda b: b["status"] == "processing" and b["progress"] > 0, 120
            )
            await kill_and_recover(stack, console, http, victim)

            await asyncio.wait_for(sub.completed.wait(), 180)
            done = await poll_job(http, job_id, lambda b: b["status"] != "processing", 10)
            assert done["status"] == "complete", done
            assert done["results"]["summary"]["conversations"] == CONVERSATIONS
            assert log_count(stack, "analyzer", "job_complete", job_id=job_id) == 1
            if victim == "gateway":
                assert sub.connects >= 2  # it reconnected, then heard `complete`
            else:
                assert sub.connects == 1 and len(sub.completes) == 1
        finally:
            await sub.client.disconnect()

        if victim == "analyzer":  # the job was redelivered to the restarted analyzer
            port = stack.metrics_ports["analyzer"]
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                metrics = await resp.text()
            assert metric_value(metrics, "convoscope_analyzer_redeliveries_total") >= 1
        if victim == "ingest":  # the restarted ingest parses uploads again
            small = load_generator().generate_claude_export(5, seed=23)
            status, again = await upload(http, small, "again.json")
            assert status == 200, again
        if victim == "exporter":  # and once more while it renders an export
            await kill_during_export(stack, console, http, job_id)


async def kill_during_export(
    stack: Stack, console: list[str], http: aiohttp.ClientSession, job_id: str
) -> None:
    """An export whose exporter is killed mid-render is redelivered and completes once."""
    formats = ["pdf", "xlsx", "html", "csv"]
    async with http.post("/api/export", json={"job_id": job_id, "formats": formats}) as resp:
        assert resp.status == 202, await resp.text()  # CONVOSCOPE_EXPORT_WAIT=0
        export_id = (await resp.json())["export_id"]
    sub = Subscriber(export_id)
    await sub.client.connect(stack.url, transports=["websocket"])
    try:
        async with asyncio.timeout(60):
            while True:
                async with http.get(f"/api/export/{export_id}") as resp:
                    state = await resp.json()
                assert state["status"] in ("pending", "processing"), state
                if state["status"] == "processing":
                    break
                await asyncio.sleep(0.05)
        await kill_and_recover(stack, console, http, "exporter")
        await asyncio.wait_for(sub.completed.wait(), 120)
        async with http.get(f"/api/export/{export_id}") as resp:
            state = await resp.json()
        assert state["status"] == "complete", state
        assert sorted(f["format"] for f in state["files"]) == sorted(formats)
        assert log_count(stack, "exporter", "export_complete", export_id=export_id) == 1
        assert len(sub.completes) == 1
    finally:
        await sub.client.disconnect()


def test_a_crash_loop_is_reported_and_the_rest_keeps_running(tmp_path: Path) -> None:
    """``python -m convoscope_stack``: the analyzer's taxonomy file breaks while it runs;
    killed, it crashes at every start, is given up after the limit, the rest stays up."""
    taxonomy = tmp_path / "taxonomy.json"
    taxonomy.write_text(
        json.dumps({"categories": [{"id": "garden", "label": "Garden", "keywords": ["tomato"]}]})
    )
    port = free_port()
    env = {
        **os.environ,
        **ENV,
        "CONVOSCOPE_TOPIC_TAXONOMY": str(taxonomy),
        "CONVOSCOPE_RESTART_BACKOFF": "0.2",
        "CONVOSCOPE_RESTART_BACKOFF_MAX": "1",
        "CONVOSCOPE_RESTART_MAX_ATTEMPTS": "2",
    }

    def get_health() -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                body: dict[str, Any] = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read())
        return body

    proc = subprocess.Popen(
        [sys.executable, "-m", "convoscope_stack", "--port", str(port),
         "--nats-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while not any("running at" in line for line in lines):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(lines)
            lines.append(line)
        analyzer_pid = get_health()["processes"]["analyzer"]["pid"]
        taxonomy.write_text("{not json")  # a broken setting: the next start fails (exit 2)
        os.kill(analyzer_pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not any("keeps crashing" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            lines.append(proc.stdout.readline())
        console = "".join(lines)
        assert "analyzer died (SIGKILL), restarted (1st time)" in console
        assert "analyzer died (exit code 2), restarted (2nd time)" in console
        assert "analyzer keeps crashing (exit code 2, 3 times in a row)" in console

        body = get_health()
        assert body["status"] == "degraded"
        assert body["processes"]["analyzer"] == {
            "state": "failed",
            "restarts": 2,
            "last_exit": "exit code 2",
            "pid": None,
        }
        others = {k: v for k, v in body["processes"].items() if k != "analyzer"}
        assert {v["state"] for v in others.values()} == {"running"}
        assert {v["restarts"] for v in others.values()} == {0}
        assert proc.poll() is None  # the launcher did not stop the stack
        log = (tmp_path / "data" / "logs" / "stack.log").read_text()
        given_up = [json.loads(x) for x in log.splitlines() if "service_given_up" in x]
        assert [(e["service"], e["exit_code"]) for e in given_up] == [("analyzer", 2)]

        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert "stopped." in rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_failure_at_the_first_start_still_stops_everything(tmp_path: Path) -> None:
    """Only the first start is fatal: a broken setting then stops the launcher (exit 1)
    and leaves nothing running."""
    port, nats_port = free_port(), free_port()
    env = {**os.environ, **ENV, "CONVOSCOPE_MAX_CONCURRENT_JOBS": "many"}
    proc = subprocess.run(
        [sys.executable, "-m", "convoscope_stack", "--port", str(port),
         "--nats-port", str(nats_port), "--data-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "could not start" in proc.stderr
    assert "running at" not in proc.stdout
    for listening in (port, nats_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", listening)) != 0
    assert not (tmp_path / "launcher-status.json").exists()


def test_nats_server_failing_at_the_first_start_is_reported_cleanly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        nats_port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "convoscope_stack", "--port", str(free_port()),
             "--nats-port", str(nats_port), "--data-dir", str(tmp_path)],
            capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "could not start: nats-server exited" in proc.stderr
    assert "Traceback" not in proc.stderr
