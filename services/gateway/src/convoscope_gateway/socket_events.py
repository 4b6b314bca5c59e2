"""Socket.IO handlers: connect, subscribe, unsubscribe.

A client that subscribes late (or reconnects) gets the job's current state at
once from the ``jobs`` KV bucket; later events arrive through the fan-out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import socketio

from convoscope_common.config import Settings
from convoscope_common.metrics import Gauge
from convoscope_common.records import ExportState, JobState
from convoscope_common.wire import (
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    JobEvent,
    ProgressEvent,
)
from convoscope_gateway.auth import check_key, presented_key
from convoscope_gateway.errors import ApiError
from convoscope_gateway.fanout import event_payload, room
from convoscope_gateway.limits import TokenBucket
from convoscope_gateway.state import Gateway
from convoscope_gateway.urls import is_export_id


def _job_id(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("job_id"), str) and data["job_id"]:
        return str(data["job_id"])
    if isinstance(data, str) and data:
        return data
    return None


def state_events(state: JobState | ExportState) -> list[tuple[str, dict[str, Any]]]:
    """The events that bring a client up to date with a job's (or an export's) state.

    Built from the bus's own event types through the fan-out's :func:`event_payload`,
    so a late subscriber gets exactly the payloads live subscribers get.
    """
    if isinstance(state, ExportState):
        key, step, message, insights = state.export_id, "", "", []
    else:
        key, step, message = state.job_id, state.current_step, state.message
        insights = list(state.insights)
    bus_events: list[JobEvent] = [
        ProgressEvent(
            job_id=key,
            progress=state.progress,
            current_step=step,
            message=message,
            insights=insights,
        )
    ]
    if state.status == "complete":
        bus_events.append(CompleteEvent(job_id=key))
    elif state.status == "failed" and state.error is not None:
        bus_events.append(
            ErrorEvent(job_id=key, error=state.error.message, details=state.error.details)
        )
    elif state.status == "cancelled":
        bus_events.append(CancelledEvent(job_id=key))
    return [event_payload(event) for event in bus_events]


async def _read_state(gw: Gateway, job_id: str) -> JobState | ExportState | None:
    # Exports report progress the same way, keyed by their export id: one lookup, in
    # the bucket the id belongs to.
    if is_export_id(job_id):
        return await gw.stores.get_export(job_id)
    return await gw.stores.get_job(job_id)


def register_socket_handlers(
    sio: socketio.AsyncServer,
    get_gateway: Callable[[], Gateway],
    settings: Settings,
    connections: Gauge,
) -> None:
    """Attach the event handlers; ``get_gateway()`` returns the running Gateway.

    Each connection may emit ``socket_events_per_minute`` events and join at most
    ``max_subscriptions_per_connection`` job rooms: WebSocket frames never pass the
    HTTP limiter, and each subscribe costs KV reads.
    """
    # One bucket per connection (bounded: forgotten on disconnect, and by the LRU bound).
    limiter = TokenBucket(max(settings.socket_events_per_minute, 1))

    def refused(sid: str, job_id: str | None) -> dict[str, Any] | None:
        if settings.socket_events_per_minute <= 0:
            return None
        wait = limiter.take(sid)
        if wait <= 0:
            return None
        return {
            "ok": False,
            "job_id": job_id,
            "error": "rate_limited",
            "retry_after": max(1, math.ceil(wait)),
        }

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        key = auth.get("api_key") if isinstance(auth, dict) else None
        key = key or presented_key(
            {
                "X-API-Key": environ.get("HTTP_X_API_KEY"),
                "Authorization": environ.get("HTTP_AUTHORIZATION"),
            }
        )
        try:
            owner = check_key(settings, key)
        except ApiError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
        await sio.save_session(sid, {"owner": owner, "rooms": {}})
        connections.inc()

    async def disconnect(sid: str, *_reason: Any) -> None:
        limiter.forget(sid)
        connections.dec()

    async def subscribe(sid: str, data: Any = None) -> dict[str, Any]:
        gw: Gateway = get_gateway()
        job_id = _job_id(data)
        if (answer := refused(sid, job_id)) is not None:
            return answer
        if job_id is None:
            payload = {"job_id": None, "error": 'subscribe needs {"job_id": "..."}'}
            await sio.emit("error", payload, to=sid)
            return {"ok": False, **payload}
        session = await sio.get_session(sid)
        # job id -> monotonic time this connection joined the job's room
        rooms: dict[str, float] = session.setdefault("rooms", {})
        cap = settings.max_subscriptions_per_connection
        if cap > 0 and job_id not in rooms and len(rooms) >= cap:
            return {
                "ok": False,
                "job_id": job_id,
                "error": f"at most {cap} subscriptions per connection; unsubscribe first",
            }
        state = await _read_state(gw, job_id)
        if state is None or state.owner != session.get("owner"):
            payload = {"job_id": job_id, "error": "unknown job", "details": None}
            await sio.emit("error", payload, to=sid)
            return {"ok": False, **payload}
        # A connection already in the room (subscribing again, e.g. unsure after a slow
        # answer) got every room event since it first joined: count from then.
        entered = rooms.get(job_id, time.monotonic())
        await sio.enter_room(sid, room(job_id))
        rooms[job_id] = entered
        # Read again once in the room: an event published before joining (a `complete`
        # that would otherwise never arrive) is reflected here; later ones come via the room.
        state = await _read_state(gw, job_id) or state
        if gw.gate.ended_since(job_id, entered):
            # The terminal event reached the room after this client joined it: sending
            # the state's terminal event too would announce the end twice.
            return {"ok": True, "job_id": job_id, "status": state.status}
        for name, payload in state_events(state):
            await sio.emit(name, payload, to=sid)
        return {"ok": True, "job_id": job_id, "status": state.status}

    async def unsubscribe(sid: str, data: Any = None) -> dict[str, Any]:
        job_id = _job_id(data)
        if (answer := refused(sid, job_id)) is not None:
            return answer
        if job_id is not None:
            await sio.leave_room(sid, room(job_id))
            session = await sio.get_session(sid)
            session.setdefault("rooms", {}).pop(job_id, None)
        return {"ok": job_id is not None, "job_id": job_id}

    # Registered by name (the call form keeps the handlers typed).
    for handler in (connect, disconnect, subscribe, unsubscribe):
        sio.on(handler.__name__, handler)
