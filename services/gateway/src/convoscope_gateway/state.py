"""What the gateway holds while it runs, and the typed app key to reach it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import socketio
from aiohttp import web
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_common.config import Settings
from convoscope_common.storage import Stores

if TYPE_CHECKING:
    from convoscope_gateway.fanout import EventGate


@dataclass
class Gateway:
    """Connections and live bookkeeping of one gateway replica."""

    settings: Settings
    nc: NATS
    js: JetStreamContext
    stores: Stores
    sio: socketio.AsyncServer
    started: float = field(default_factory=time.monotonic)
    # service name -> monotonic time of its last heartbeat
    services_seen: dict[str, float] = field(default_factory=dict)
    # (service name, instance) -> monotonic time of its last heartbeat
    instances_seen: dict[tuple[str, str], float] = field(default_factory=dict)
    # service instance -> active jobs it reported
    active_jobs: dict[str, int] = field(default_factory=dict)
    # What the fan-out sent per job (monotone progress, one terminal event).
    gate: EventGate = field(default_factory=lambda: _event_gate())


def _event_gate() -> EventGate:
    from convoscope_gateway.fanout import EventGate  # fanout imports this module

    return EventGate()


GATEWAY = web.AppKey("gateway", Gateway)
SETTINGS = web.AppKey("settings", Settings)
SIO = web.AppKey("sio", socketio.AsyncServer)
