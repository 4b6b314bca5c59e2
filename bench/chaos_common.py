"""What every chaos scenario shares: the report table, an HTTP client that counts
unanswered requests, Socket.IO followers that re-subscribe after a reconnect, and the
tally of what clients observed (see ``bench/chaos.py``)."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

HERE = Path(__file__).resolve().parent
TIMEZONES = [
    "UTC", "Europe/Paris", "Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Rome",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Singapore",
    "Australia/Sydney", "Africa/Cairo", "Africa/Lagos", "Pacific/Auckland", "Asia/Dubai",
    "Europe/Warsaw", "Europe/Oslo", "America/Toronto", "America/Mexico_City", "Asia/Seoul",
    "Asia/Jakarta", "Europe/Athens", "Europe/Lisbon", "America/Lima", "Asia/Bangkok",
    "Europe/Dublin", "Europe/Vienna", "Europe/Prague", "Europe/Zurich", "Asia/Manila",
    "America/Bogota", "Africa/Nairobi", "Asia/Karachi", "Asia/Tehran", "Europe/Helsinki",
]  # fmt: skip
TERMINAL = ("complete", "error", "cancelled")
UNFINISHED = ("pending", "processing")
ACK_WAIT = 2.0
# The observer polls every job twice a second and follows many jobs per connection:
# far above the per-client limits, which are not what this suite measures.
ENV = {
    "CONVOSCOPE_ACK_WAIT": f"{ACK_WAIT:g}",
    "CONVOSCOPE_LOG_LEVEL": "INFO",
    "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "0",
    "CONVOSCOPE_SOCKET_EVENTS_PER_MINUTE": "0",
    "CONVOSCOPE_MAX_SUBSCRIPTIONS_PER_CONNECTION": "0",
    "CONVOSCOPE_EXPORT_WAIT": "0",
}
REQUEST_DEADLINE = 60.0  # an answer later than this counts as unanswered
SUBSCRIPTIONS_PER_CLIENT = 10


def generate_export(conversations: int, seed: int) -> bytes:
    """A synthetic claude.ai export (bench/generate_export.py)."""
    spec = importlib.util.spec_from_file_location("generate_export", HERE / "generate_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: bytes = module.generate_claude_export(conversations, seed=seed)
    return data


@dataclass
class Report:
    """What one run observed (analyses and exports together are "jobs")."""

    submitted: int = 0
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicates: int = 0
    non_monotone: int = 0
    left_terminal: int = 0
    missed_final: int = 0  # a subscribed client never received the job's final event
    unanswered: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # clear errors (507, 503)
    faults: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # Jobs that did not end: their records and last log lines (bench/chaos_diagnosis.py).
    diagnosis: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return self.faults["analyzer SIGKILLs"]

    @property
    def pauses(self) -> int:
        return self.faults["analyzer SIGSTOPs"]

    def rows(self) -> list[tuple[str, str]]:
        failed = ", ".join(f"{code} {n}" for code, n in sorted(self.failed.items())) or "-"
        rows = [
            ("submitted", str(self.submitted)),
            ("completed", str(self.completed)),
            ("failed (reason)", f"{sum(self.failed.values())} ({failed})"),
            ("lost", str(self.lost)),
            ("duplicate terminal events", str(self.duplicates)),
            ("non-monotone progress", str(self.non_monotone)),
            ("status changed after terminal", str(self.left_terminal)),
            ("final event missed by a subscriber", str(self.missed_final)),
            ("requests unanswered after their deadline", str(self.unanswered)),
        ]
        if self.refused:
            refused = ", ".join(f"{code} {n}" for code, n in sorted(self.refused.items()))
            rows.append(("requests refused with a clear error", refused))
        rows += [(name, str(n)) for name, n in sorted(self.faults.items())]
        rows.append(("wall time", f"{self.seconds:.1f} s"))
        return rows

    def print(self, title: str) -> None:
        print(f"\n{title}")
        width = max(len(name) for name, _ in self.rows())
        for name, value in self.rows():
            print(f"  {name:<{width}}  {value}")
        for line in self.diagnosis:
            print(f"  {line}")

    def clean(self) -> bool:
        """The issue's bar: nothing lost, duplicated, backwards, unanswered or missed."""
        return not (
            self.lost
            or self.duplicates
            or self.non_monotone
            or self.left_terminal
            or self.missed_final
            or self.unanswered
        )


class Api:
    """HTTP calls that wait out a restarting gateway or bus, and count the unanswered.

    Connection refused (the gateway is down) and 503/429 with ``Retry-After`` are
    retried; a request that gets no answer within ``REQUEST_DEADLINE`` is counted in
    ``report.unanswered``.
    """

    def __init__(self, url: str, report: Report) -> None:
        self.url = url
        self.report = report
        self.http = aiohttp.ClientSession(
            base_url=url, timeout=aiohttp.ClientTimeout(total=REQUEST_DEADLINE)
        )

    async def close(self) -> None:
        await self.http.close()

    async def call(
        self, method: str, path: str, *, retry_busy: bool = True, budget: float = 300.0, **kw: Any
    ) -> tuple[int, Any]:
        """(status, JSON body) of the first answer that is not "wait and retry"."""
        end = time.monotonic() + budget
        while True:
            try:
                async with self.http.request(method, path, **kw) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status in (429, 503) and retry_busy and time.monotonic() < end:
                        await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                        continue
                    return resp.status, body
            except TimeoutError:
                self.report.unanswered += 1
                if time.monotonic() >= end:
                    return 0, {"error": "unanswered"}
            except (aiohttp.ClientConnectionError, aiohttp.ContentTypeError):
                # The gateway is restarting (or dropped the connection while it
                # stopped): what a browser would do, try again shortly.
                if time.monotonic() >= end:
                    return 0, {"error": "unreachable"}
                await asyncio.sleep(0.5)

    async def upload(self, data: bytes) -> tuple[int, Any]:
        """POST /api/upload (a new form per attempt: a form body is read once)."""
        end = time.monotonic() + 300.0
        while True:
            form = aiohttp.FormData()
            form.add_field("file", data, filename="conversations.json")
            status, body = await self.call(
                "POST", "/api/upload", data=form, retry_busy=False, budget=60.0
            )
            if status in (0, 429, 503) and time.monotonic() < end:
                await asyncio.sleep(1.0)
                continue
            return status, body

    async def analyse(self, file_id: str, timezone: str, visuals: bool = True) -> str:
        status, body = await self.call(
            "POST",
            "/api/analysis",
            json={
                "file_id": file_id,
                "options": {"timezone": timezone, "enable_visualizations": visuals},
            },
        )
        assert status in (201, 202), (status, body)
        return str(body["job_id"])

    async def export(self, job_id: str, formats: Iterable[str]) -> str:
        status, body = await self.call(
            "POST", "/api/export", json={"job_id": job_id, "formats": list(formats)}
        )
        assert status in (200, 202), (status, body)
        return str(body["export_id"])

    async def state(self, job_id: str) -> dict[str, Any]:
        kind = "export" if job_id.startswith("export_") else "analysis"
        path = f"/api/{kind}/{job_id}"
        status, body = await self.call("GET", path)
        if status != 200:
            # A job the API no longer answers for (e.g. 404) counts as lost.
            return {"status": f"http {status}", "error": body}
        return dict(body)

    async def states(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {job_id: await self.state(job_id) for job_id in ids}

    async def wait_final(self, ids: list[str], deadline: float) -> dict[str, dict[str, Any]]:
        """Poll until every job has a final state (or the deadline passed)."""
        try:
            async with asyncio.timeout(deadline):
                while True:
                    finals = await self.states(ids)
                    if all(s["status"] not in UNFINISHED for s in finals.values()):
                        return finals
                    await asyncio.sleep(0.5)
        except TimeoutError:
            return await self.states(ids)


class Followers:
    """Socket.IO clients (a few subscriptions each) that record every event per job and,
    after a reconnect, subscribe again to the jobs whose final event they lack."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        self.clients: list[tuple[socketio.AsyncClient, list[str]]] = []
        self.reconnects = 0

    async def _client(self) -> tuple[socketio.AsyncClient, list[str]]:
        client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5)
        jobs: list[str] = []
        for name in ("progress", *TERMINAL):
            client.on(name, self._recorder(name))
        first = True

        async def on_connect() -> None:
            nonlocal first
            if first:
                first = False
                return
            self.reconnects += 1
            asyncio.get_running_loop().create_task(self._resubscribe(client, jobs))

        client.on("connect", on_connect)
        await client.connect(self.url, transports=["websocket"])
        return client, jobs

    def _recorder(self, name: str) -> Any:
        async def record(data: dict[str, Any]) -> None:
            self.events[str(data.get("job_id"))].append((name, data))

        return record

    def ended(self, job_id: str) -> bool:
        return any(name in TERMINAL for name, _ in self.events.get(job_id, []))

    async def _resubscribe(self, client: socketio.AsyncClient, jobs: list[str]) -> None:
        for job_id in jobs:
            if not self.ended(job_id):
                await self._subscribe(client, job_id)

    async def _subscribe(self, client: socketio.AsyncClient, job_id: str) -> None:
        for _ in range(60):
            try:
                answer = await client.call("subscribe", {"job_id": job_id}, timeout=10)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                await asyncio.sleep(0.5)  # reconnecting: the connect handler tries again
                return
            if answer.get("ok"):
                return
            await asyncio.sleep(0.5)  # "unknown job" while the bus restarts

    async def follow(self, job_id: str) -> None:
        """Subscribe to ``job_id`` (a new client every few jobs)."""
        if not self.clients or len(self.clients[-1][1]) >= SUBSCRIPTIONS_PER_CLIENT:
            self.clients.append(await self._client())
        client, jobs = self.clients[-1]
        jobs.append(job_id)
        await self._subscribe(client, job_id)

    async def catch_up(self, grace: float = 15.0) -> None:
        """Give clients that reconnected late the time to receive the final events."""
        end = time.monotonic() + grace
        while time.monotonic() < end:
            if all(self.ended(j) for _, jobs in self.clients for j in jobs):
                return
            for client, jobs in self.clients:
                if client.connected:
                    await self._resubscribe(client, jobs)
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        for client, _ in self.clients:
            await client.disconnect()


def tally(
    report: Report,
    ids: list[str],
    finals: dict[str, dict[str, Any]],
    again: dict[str, dict[str, Any]],
    followers: Followers,
) -> None:
    """Count outcomes, duplicates, backwards progress, missed final events."""
    for job_id in ids:
        state = finals[job_id]
        if state["status"] == "complete":
            report.completed += 1
        elif state["status"] in ("failed", "cancelled"):
            report.failed[(state.get("error") or {}).get("code", state["status"])] += 1
        else:
            report.lost += 1
        ended = state["status"] not in UNFINISHED
        if ended and again[job_id]["status"] != state["status"]:
            report.left_terminal += 1
        events = followers.events.get(job_id, [])
        terminal = [name for name, _ in events if name in TERMINAL]
        report.duplicates += max(0, len(terminal) - 1)
        if ended and not terminal:
            report.missed_final += 1
        progress = [float(data["progress"]) for name, data in events if name == "progress"]
        report.non_monotone += progress != sorted(progress)
