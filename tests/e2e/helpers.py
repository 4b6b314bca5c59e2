"""Helpers for end-to-end tests: HTTP upload, a recording Socket.IO client, the generator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from convoscope_stack.supervision import RestartPolicy

# Short backoffs so a test waits seconds, not the production 0.5 s → 30 s ladder.
SHORT_POLICY = RestartPolicy(backoff=0.2, backoff_max=2.0, healthy_after=5.0, max_restarts=3)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


async def upload(http: aiohttp.ClientSession, data: bytes, filename: str) -> tuple[int, Any]:
    """POST /api/upload with the bytes in the multipart field ``file``."""
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/json")
    async with http.post("/api/upload", data=form) as resp:
        return resp.status, await resp.json()


class EventLog:
    """A python-socketio client that records every job event it receives."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()
        for name in ("progress", "complete", "error", "cancelled"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: dict[str, Any]) -> None:
            self.events.append((name, data))
            self.changed.set()

        return record

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]

    async def wait_for(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while not self.named(name):
                self.changed.clear()
                await self.changed.wait()
            return self.named(name)[0]

        return await asyncio.wait_for(wait(), timeout)


async def poll_job(
    http: aiohttp.ClientSession,
    job_id: str,
    until: Any,
    timeout: float = 120.0,
    interval: float = 0.1,
) -> dict[str, Any]:
    """GET the job every ``interval`` seconds until ``until(body)`` holds."""
    async with asyncio.timeout(timeout):
        while True:
            async with http.get(f"/api/analysis/{job_id}") as resp:
                body: dict[str, Any] = await resp.json()
                # A polite client waits as told: rate limits, and a bus electing a leader.
                if resp.status in (429, 503):
                    await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                    continue
            if until(body):
                return body
            await asyncio.sleep(interval)


def finished(body: dict[str, Any]) -> bool:
    """The job reached a final state."""
    return body["status"] in ("complete", "failed", "cancelled")


async def start_analysis(
    http: aiohttp.ClientSession, file_id: str, **options: Any
) -> dict[str, Any]:
    """POST /api/analysis and return the JSON answer."""
    async with http.post("/api/analysis", json={"file_id": file_id, "options": options}) as resp:
        assert resp.status in (201, 202), await resp.text()
        body: dict[str, Any] = await resp.json()
        return body


def metric_value(text: str, name: str, labels: str = "") -> float:
    """A sample's value from Prometheus text exposition (0 when absent)."""
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


async def export_files(
    http: aiohttp.ClientSession, payload: dict[str, Any], timeout: float = 120.0
) -> dict[str, Any]:
    """POST /api/export and, on 202, poll the status URL until the files are ready."""
    async with http.post("/api/export", json=payload) as resp:
        assert resp.status in (200, 202), await resp.text()
        body: dict[str, Any] = await resp.json()
    async with asyncio.timeout(timeout):
        while body["status"] not in ("complete", "failed"):
            await asyncio.sleep(0.2)
            async with http.get(body["status_url"]) as resp:
                body = await resp.json()
    assert body["status"] == "complete", body
    return body


@contextlib.contextmanager
def supervised_stack(
    data_dir: Path, env: Mapping[str, str], policy: RestartPolicy = SHORT_POLICY
) -> Iterator[tuple[Stack, list[str]]]:
    """A stack run as ``make run`` runs it (its launcher restarts what ends), with short
    backoffs; plus the launcher's console lines."""
    console: list[str] = []
    with Stack(data_dir, port=free_port(), env=env, policy=policy, report=console.append) as stack:
        yield stack, console
