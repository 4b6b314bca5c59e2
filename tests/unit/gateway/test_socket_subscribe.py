"""The Socket.IO ``subscribe`` handler against a recording fake server (no network)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from convoscope_common.config import Settings
from convoscope_common.metrics import Gauge
from convoscope_common.records import JobState
from convoscope_gateway.auth import owner_digest
from convoscope_gateway.fanout import EventGate, room
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
        self.gate = EventGate()


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


class KnownJobs:
    """Stores that know every job id and give them all to alice."""

    async def get_job(self, job_id: str) -> JobState | None:
        return JobState(
            job_id=job_id, file_id="f", status="processing", progress=10.0,
            owner=owner_digest("alice-key"), created_at=NOW, updated_at=NOW,
        )  # fmt: skip

    async def get_export(self, export_id: str) -> None:
        return None


def _limited(**settings: Any) -> FakeSio:
    fake = FakeSio()
    gateway = type("G", (), {"stores": KnownJobs(), "gate": EventGate()})()
    configured = Settings(api_keys=("alice-key",), **settings)
    register_socket_handlers(cast(Any, fake), lambda: cast(Any, gateway), configured, CONNECTIONS)
    return fake


async def test_subscriptions_per_connection_are_capped() -> None:
    sio = _limited(max_subscriptions_per_connection=3, socket_events_per_minute=0)
    await sio.handlers["connect"]("s", {}, {"api_key": "alice-key"})
    acks = [await sio.handlers["subscribe"]("s", {"job_id": f"job_{i}"}) for i in range(5)]
    assert [a["ok"] for a in acks] == [True, True, True, False, False]
    assert "at most 3" in acks[3]["error"]
    assert len([j for j in sio.joined if j[0] == "s"]) == 3
    # Leaving one room frees a place; re-subscribing to a joined job is not a new one.
    await sio.handlers["unsubscribe"]("s", {"job_id": "job_0"})
    assert (await sio.handlers["subscribe"]("s", {"job_id": "job_1"}))["ok"] is True
    assert (await sio.handlers["subscribe"]("s", {"job_id": "job_9"}))["ok"] is True


async def test_socket_events_are_rate_limited_per_connection() -> None:
    sio = _limited(socket_events_per_minute=5)
    await sio.handlers["connect"]("a", {}, {"api_key": "alice-key"})
    await sio.handlers["connect"]("b", {}, {"api_key": "alice-key"})
    acks = [await sio.handlers["subscribe"]("a", {"job_id": "job_1"}) for _ in range(8)]
    assert [a["ok"] for a in acks[:5]] == [True] * 5
    assert {a["error"] for a in acks[5:]} == {"rate_limited"}
    assert acks[5]["retry_after"] >= 1
    assert (await sio.handlers["subscribe"]("b", {"job_id": "job_1"}))["ok"] is True


async def test_socket_connect_needs_a_valid_key() -> None:
    import socketio

    sio = _limited()
    with pytest.raises(socketio.exceptions.ConnectionRefusedError):
        await sio.handlers["connect"]("x", {}, {"api_key": "guess"})
    with pytest.raises(socketio.exceptions.ConnectionRefusedError):
        await sio.handlers["connect"]("y", {}, None)
