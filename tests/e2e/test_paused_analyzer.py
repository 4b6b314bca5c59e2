"""Issue 11 point 1: an analyzer paused (SIGSTOP) past ack_wait, then resumed.

Before fencing, the redelivered job ran twice at once: two `complete` events, the
status went complete -> processing -> complete, and progress went backwards. Now
the run that lost its lease stands down: one terminal event, monotone progress,
and a final state that never changes again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import EventLog, metric_value, poll_job, upload
from tests.export_texts import load_generator

ACK_WAIT = 2.0
CONVERSATIONS = 2500


async def _busy_analyzer(http: aiohttp.ClientSession, stack: Stack) -> str:
    """The name of the analyzer replica that runs the (only) job."""
    async with asyncio.timeout(60):
        while True:
            for name, port in stack.metrics_ports.items():
                if not name.startswith("analyzer"):
                    continue
                async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    text = await resp.text()
                if metric_value(text, "convoscope_analyzer_active_jobs") >= 1:
                    return name
            await asyncio.sleep(0.1)


def _progress_is_monotone(events: EventLog) -> list[float]:
    values = [float(e["progress"]) for e in events.named("progress")]
    assert values == sorted(values), values
    return values


@pytest.mark.parametrize("replicas", [2, 1])
async def test_a_paused_analyzer_never_runs_its_job_twice(tmp_path: Path, replicas: int) -> None:
    data = load_generator().generate_claude_export(CONVERSATIONS, seed=5)
    env = {**E2E_ENV, "CONVOSCOPE_ACK_WAIT": str(ACK_WAIT)}
    with Stack(tmp_path, port=free_port(), env=env, analyzer_replicas=replicas) as stack:
        async with aiohttp.ClientSession(base_url=stack.url) as http:
            status, body = await upload(http, data, "conversations.json")
            assert status == 200, body
            events = EventLog()
            await events.client.connect(stack.url, transports=["websocket"])
            try:
                async with http.post("/api/analysis", json={"file_id": body["file_id"]}) as resp:
                    job_id = (await resp.json())["job_id"]
                await events.client.call("subscribe", {"job_id": job_id}, timeout=10)
                await poll_job(
                    http, job_id, lambda b: b["status"] == "processing" and b["progress"] > 5
                )
                victim = await _busy_analyzer(http, stack)
                pid = stack.procs[victim].pid
                os.kill(pid, signal.SIGSTOP)
                paused_at = time.monotonic()
                try:
                    # Well past ack_wait: JetStream redelivers the job.
                    await asyncio.sleep(ACK_WAIT * 4)
                finally:
                    os.kill(pid, signal.SIGCONT)
                paused = time.monotonic() - paused_at
                done = await poll_job(
                    http, job_id, lambda b: b["status"] not in ("pending", "processing"), 300
                )
                assert done["status"] == "complete", done
                # Late events of a stale run would arrive now: give them time to.
                await asyncio.sleep(ACK_WAIT * 2)
                for _ in range(5):
                    async with http.get(f"/api/analysis/{job_id}") as resp:
                        again: dict[str, Any] = await resp.json()
                    assert again["status"] == "complete"  # never leaves a terminal state
                    await asyncio.sleep(0.2)
            finally:
                await events.client.disconnect()
        assert paused >= ACK_WAIT * 3
        terminal = [name for name, _ in events.events if name in ("complete", "error", "cancelled")]
        assert terminal == ["complete"], terminal
        values = _progress_is_monotone(events)
        assert values[-1] == 100.0
        log = (stack.log_dir / f"{victim}.log").read_text()
        if replicas == 2:
            # The other replica took the job over; the paused run stood down.
            assert "run_stood_down" in log or "lease_lost" in log
        else:
            # The redelivered copy joined the run that was still going in this replica.
            assert "duplicate_delivery_joined" in log
