"""The Socket.IO ``subscribe`` handler against a recording fake server (no network)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from convoscope_common.config import Settings
from convoscope_common.messages import JobState
from convoscope_common.metrics import Gauge
from convoscope_gateway.auth import owner_digest
from convoscope_gateway.fanout import room
from convoscope_gateway.socket_events import register_socket_handlers

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CONNECTIONS = Gauge("test_socket_subscribe_connections", "connections in this test module")


class FakeSio:
    """Records handlers, rooms and what each client received."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[..., Awaitable[Any]]] = {}
        self.rooms: dict[str, set[str]] = {}
        self.received: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.joined: list[tuple[str, str]] = []

    def on(self, name: str, fn: Callable[..., Awaitable[Any]]) -> None:
        self.handlers[name] = fn

    def event(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        self.handlers[fn.__name__] = fn
        return fn

    async def emit(
        self, name: str, payload: dict[str, Any], to: str | None = None, room: str | None = None
    ) -> None:
        targets = [to] if to else sorted(self.rooms.get(room or "", set()))
        for sid in targets:
            self.received.setdefault(sid, []).append((name, payload))

    async def enter_room(self, sid: str, name: str) -> None:
        self.rooms.setdefault(name, set()).add(sid)
        self.joined.append((sid, name))

    async def leave_room(self, sid: str, name: str) -> None:
        self.rooms.get(name, set()).discard(sid)

    async def save_session(self, sid: str, session: dict[str, Any]) -> None:
        self.sessions[sid] = session

    async def get_session(self, sid: str) -> dict[str, Any]:
        return self.sessions[sid]


class JobFinishingWhileRead:
    """Stores whose job completes (and is announced) right after each read: what the
    subscriber reads is always one step behind what is published."""

    def __init__(self, sio: FakeSio) -> None:
        self.sio = sio

    async def get_job(self, job_id: str) -> JobState | None:
        if job_id != "job_1":
            return None
        snapshot = JobState(
            job_id=job_id, file_id="f", status="processing", progress=90.0,
            owner=owner_digest("alice-key"), created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        # The analyzer finishes now; the fan-out emits to the job's room.
        await self.sio.emit("complete", {"job_id": job_id, "status": "complete"}, room=room(job_id))
        return snapshot

    async def get_export(self, export_id: str) -> None:
        return None


class FakeGateway:
    def __init__(self, sio: FakeSio) -> None:
        self.stores = JobFinishingWhileRead(sio)


@pytest.fixture
def sio() -> FakeSio:
    fake = FakeSio()
    gateway = FakeGateway(fake)
    settings = Settings(api_keys=("alice-key", "mallory-key"))
    register_socket_handlers(cast(Any, fake), lambda: cast(Any, gateway), settings, CONNECTIONS)
    return fake


async def test_a_job_finishing_while_a_client_subscribes_still_reaches_it(sio: FakeSio) -> None:
    await sio.handlers["connect"]("sid1", {}, {"api_key": "alice-key"})
    ack = await sio.handlers["subscribe"]("sid1", {"job_id": "job_1"})
    assert ack["ok"] is True
    names = [name for name, _ in sio.received["sid1"]]
    assert "complete" in names, names


async def test_unknown_or_foreign_jobs_never_put_the_client_in_a_room(sio: FakeSio) -> None:
    await sio.handlers["connect"]("sid2", {}, {"api_key": "mallory-key"})
    for job_id in ("job_nope", "job_1"):  # job_1 is alice's
        ack = await sio.handlers["subscribe"]("sid2", {"job_id": job_id})
        assert ack["ok"] is False
        assert sio.received["sid2"][-1][0] == "error"
    # not even for a moment: events of another key's job must never reach this client
    assert not [joined for joined in sio.joined if joined[0] == "sid2"]
    assert all(name != "complete" for name, _ in sio.received["sid2"])
