"""NATS events -> Socket.IO rooms, and heartbeats -> the health view.

Every gateway replica subscribes to ``convoscope.events.>`` without a queue
group, so each delivers every job's events to its own connected clients.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import msgspec
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from convoscope_common import names
from convoscope_common.logs import get_logger
from convoscope_common.wire import (
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    JobEvent,
    ProgressEvent,
    heartbeat_decoder,
    job_event_decoder,
)
from convoscope_gateway.state import Gateway
from convoscope_gateway.urls import result_url

log = get_logger(__name__)


def room(job_id: str) -> str:
    """The Socket.IO room of a job."""
    return f"job:{job_id}"


def event_payload(event: JobEvent) -> tuple[str, dict[str, Any]]:
    """The Socket.IO event name and the seed's payload for a bus event."""
    payload: dict[str, Any] = msgspec.to_builtins(event)
    # The tag and the bus version are the bus's business, not the Socket.IO payload's.
    payload.pop("event", None)
    payload.pop("v", None)
    match event:
        case ProgressEvent():
            return "progress", payload
        case CompleteEvent():
            payload["results_url"] = result_url(event.job_id)
            return "complete", payload
        case ErrorEvent():
            return "error", payload
        case CancelledEvent():
            return "cancelled", payload
    raise TypeError(type(event).__name__)  # pragma: no cover - the union is closed


class EventGate:
    """Drops events that would contradict what a job's subscribers already heard.

    Workers write state before they publish and a run that lost its lease publishes
    nothing, but a run paused between its write and its publish can still send a
    stale progress event late; this gate keeps what clients see monotone: progress
    never goes down and nothing follows a job's terminal event. It remembers the
    last ``capacity`` jobs, and when each job's terminal event went out (so a client
    subscribing at that moment is not sent the terminal event twice).
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        # job id -> (highest progress sent, monotonic time the terminal event was sent)
        self._seen: OrderedDict[str, tuple[float, float | None]] = OrderedDict()

    def admit(self, event: JobEvent) -> bool:
        """True when the event may go out (and remember it)."""
        progress, ended_at = self._seen.pop(event.job_id, (0.0, None))
        allowed = ended_at is None
        if isinstance(event, ProgressEvent):
            allowed = allowed and event.progress >= progress
            progress = max(progress, event.progress)
        elif allowed:
            ended_at = time.monotonic()
        self._seen[event.job_id] = (progress, ended_at)
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return allowed

    def ended_since(self, job_id: str, since: float) -> bool:
        """Whether the job's terminal event went out at or after monotonic ``since``."""
        _progress, ended_at = self._seen.get(job_id, (0.0, None))
        return ended_at is not None and ended_at >= since


async def start_fanout(gw: Gateway) -> list[Subscription]:
    """Subscribe to job events and service heartbeats."""
    gate = gw.gate

    async def on_event(msg: Msg) -> None:
        try:
            event = job_event_decoder.decode(msg.data)
        except msgspec.DecodeError:
            log.warning("bad_event", subject=msg.subject)
            return
        if not gate.admit(event):
            log.info("stale_event_dropped", job_id=event.job_id, subject=msg.subject)
            return
        name, payload = event_payload(event)
        await gw.sio.emit(name, payload, room=room(event.job_id))

    async def on_heartbeat(msg: Msg) -> None:
        try:
            beat = heartbeat_decoder.decode(msg.data)
        except msgspec.DecodeError:
            return
        gw.services_seen[beat.service] = gw.instances_seen[(beat.service, beat.instance)] = (
            time.monotonic()
        )
        gw.active_jobs[beat.instance] = beat.active_jobs

    return [
        await gw.nc.subscribe(names.EVENTS_ALL, cb=on_event),
        await gw.nc.subscribe(names.HEARTBEAT_ALL, cb=on_heartbeat),
    ]
