"""A job that ends while a client subscribes: one terminal event, not two (issue 11,
"exactly one terminal event per job"). The gateway runs in this process on a real
nats-server; a python-socketio client subscribes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.clock import utcnow
from convoscope_common.config import Settings
from convoscope_common.options import AnalysisOptions
from convoscope_common.records import JobState
from convoscope_common.wire import CompleteEvent, encode
from convoscope_gateway import socket_events
from convoscope_gateway.app import create_app
from convoscope_gateway.state import GATEWAY

pytestmark = pytest.mark.integration


@pytest.fixture
async def server(nats_url: str, js: JetStreamContext) -> AsyncIterator[TestServer]:
    async with TestServer(create_app(Settings(nats_url=nats_url))) as test_server:
        yield test_server


async def test_a_job_completing_while_a_client_subscribes_is_announced_once(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job completes after the client joined the job's room and before the gateway
    re-reads the state. Before: the room delivered `complete` and the subscribe
    answer sent the state's `complete` again (two terminal events)."""
    gw = server.app[GATEWAY]
    now = utcnow()
    state = JobState(
        job_id="job_race", file_id="f_x", cache_key="k", options=AnalysisOptions(),
        created_at=now, updated_at=now,
    )  # fmt: skip
    state.status, state.progress = "processing", 40.0
    await gw.stores.put_job(state)
    real_read = socket_events._read_state
    reads = {"n": 0}

    async def completes_in_between(gw_: Any, job_id: str) -> Any:
        reads["n"] += 1
        if reads["n"] == 2:  # in the room, before the re-read: the worker finishes
            state.status, state.progress = "complete", 100.0
            await gw.stores.put_job(state)
            await gw.nc.publish(
                names.event_subject(job_id, "complete"), encode(CompleteEvent(job_id=job_id))
            )
            await gw.nc.flush()
            await asyncio.sleep(0.5)  # the fan-out delivers it to the room
        return await real_read(gw_, job_id)

    monkeypatch.setattr(socket_events, "_read_state", completes_in_between)
    client = socketio.AsyncClient()
    events: list[str] = []
    for name in ("progress", "complete", "error", "cancelled"):
        client.on(name, lambda data, name=name: events.append(name))
    await client.connect(str(server.make_url("/")), transports=["websocket"])
    try:
        answer = await client.call("subscribe", {"job_id": "job_race"}, timeout=10)
        assert answer["ok"], answer
        await asyncio.sleep(1.0)
    finally:
        await client.disconnect()
    assert reads["n"] == 2
    assert events.count("complete") == 1, events


async def test_subscribing_again_after_the_room_announced_the_end_is_not_announced_twice(
    server: TestServer,
) -> None:
    """A client in the job's room subscribes again (unsure, or its first answer was slow)
    just after the room delivered `complete`. Before: the second answer sent the state's
    `complete` again (seen in the gateway-restart chaos row under load)."""
    gw = server.app[GATEWAY]
    now = utcnow()
    state = JobState(
        job_id="job_again", file_id="f_x", cache_key="k", options=AnalysisOptions(),
        created_at=now, updated_at=now,
    )  # fmt: skip
    state.status, state.progress = "processing", 40.0
    await gw.stores.put_job(state)
    client = socketio.AsyncClient()
    events: list[str] = []
    for name in ("progress", "complete", "error", "cancelled"):
        client.on(name, lambda data, name=name: events.append(name))
    await client.connect(str(server.make_url("/")), transports=["websocket"])
    try:
        assert (await client.call("subscribe", {"job_id": "job_again"}, timeout=10))["ok"]
        state.status, state.progress = "complete", 100.0
        await gw.stores.put_job(state)
        await gw.nc.publish(
            names.event_subject("job_again", "complete"),
            encode(CompleteEvent(job_id="job_again")),
        )
        await gw.nc.flush()
        for _ in range(50):  # the fan-out delivers it to the room
            if "complete" in events:
                break
            await asyncio.sleep(0.1)
        answer = await client.call("subscribe", {"job_id": "job_again"}, timeout=10)
        assert answer["ok"] and answer["status"] == "complete", answer
        await asyncio.sleep(1.0)
        # A new connection (a reconnect) that subscribes is told the end once.
        other = socketio.AsyncClient()
        late: list[str] = []
        other.on("complete", lambda data: late.append("complete"))
        await other.connect(str(server.make_url("/")), transports=["websocket"])
        try:
            assert (await other.call("subscribe", {"job_id": "job_again"}, timeout=10))["ok"]
            await asyncio.sleep(0.5)
        finally:
            await other.disconnect()
    finally:
        await client.disconnect()
    assert events.count("complete") == 1, events
    assert late == ["complete"]
