"""``GET /api/health`` and ``GET /metrics``.

Health answers from what the gateway already holds (heartbeats, the connection
state) plus the result cache's size, which is one stream-info request (O(1) on
the server) made at most every :data:`CACHE_SIZE_MAX_AGE` seconds however often
health is asked. With API keys configured, a caller without a valid key learns
only ``status``: job counts and service names are for operators.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from aiohttp import web

from convoscope_common import names
from convoscope_common.messages import HealthResponse, HealthStatus
from convoscope_common.metrics import CONTENT_TYPE_LATEST, Gauge, render_metrics
from convoscope_gateway import __version__
from convoscope_gateway.jsonio import json_response
from convoscope_gateway.keyring import keyring_for
from convoscope_gateway.state import GATEWAY, Gateway

# A service counts as up if it sent a heartbeat within this many intervals.
_STALE_AFTER_BEATS = 3


# Seconds one cache-size reading is reused for.
CACHE_SIZE_MAX_AGE = 5.0


class CacheSize:
    """The results object store's size in bytes, read from its stream state, rate-bounded."""

    def __init__(self, max_age: float = CACHE_SIZE_MAX_AGE) -> None:
        self.max_age = max_age
        self.value = 0
        self.read_at = -float("inf")
        self.reads = 0  # stream-info requests made (tests count them)
        self._lock = asyncio.Lock()

    async def get(self, gw: Gateway) -> int:
        """The last reading, refreshed (by one caller at a time) when older than ``max_age``."""
        if time.monotonic() - self.read_at < self.max_age:
            return self.value
        async with self._lock:
            if time.monotonic() - self.read_at >= self.max_age:
                self.reads += 1
                info = await asyncio.wait_for(gw.js.stream_info(f"OBJ_{names.OBJ_RESULTS}"), 2)
                self.value = int(info.state.bytes or 0)
                self.read_at = time.monotonic()
        return self.value


CACHE_SIZE: web.AppKey[CacheSize] = web.AppKey("cache_size", CacheSize)


def _detailed(request: web.Request) -> bool:
    keyring = keyring_for(request.app[GATEWAY].settings.api_keys)
    return not keyring.enabled or keyring.owner_for(keyring.presented(request.headers)) is not None


async def get_health(request: web.Request) -> web.Response:
    """Status; with a valid key (or keys off) also version, uptime, jobs, cache, services."""
    gw = request.app[GATEWAY]
    now = time.monotonic()
    horizon = gw.settings.heartbeat_interval * _STALE_AFTER_BEATS
    services = {
        name: round(now - seen, 1)
        for name, seen in gw.services_seen.items()
        if now - seen <= horizon
    }
    connected = gw.nc.is_connected
    size = 0
    if connected:
        try:
            size = await request.app[CACHE_SIZE].get(gw)
        except Exception:
            connected = False
    expected = {"ingest", "analyzer", "exporter"}
    status: Literal["healthy", "degraded", "unhealthy"] = (
        "healthy"
        if connected and expected <= set(services)
        else ("degraded" if connected else "unhealthy")
    )
    code = 200 if status != "unhealthy" else 503
    if not _detailed(request):
        return json_response(HealthStatus(status=status), status=code)
    body = HealthResponse(
        status=status,
        version=__version__,
        uptime=round(now - gw.started, 1),
        active_jobs=sum(gw.active_jobs.values()),
        cache_size=size,
        nats="connected" if connected else "disconnected",
        services=services,
    )
    return json_response(body, status=code)


QUEUE_DEPTH = Gauge(
    "convoscope_jobs_queue_depth", "Jobs waiting in the jobs stream, by consumer", ["consumer"]
)
QUEUE_REDELIVERED = Gauge(
    "convoscope_jobs_redelivered",
    "Jobs currently redelivered (JetStream), by consumer",
    ["consumer"],
)
_CONSUMERS = [f"{names.ANALYZER_DURABLE}-{p}" for p in names.JOB_PRIORITIES] + [
    names.EXPORTER_DURABLE
]


async def _update_queue_gauges(request: web.Request) -> None:
    gw = request.app[GATEWAY]
    for consumer in _CONSUMERS:
        try:
            info = await gw.js.consumer_info(names.JOBS_STREAM, consumer, timeout=2)
        except Exception:  # the bus is down: keep the last value
            continue
        QUEUE_DEPTH.labels(consumer).set((info.num_pending or 0) + (info.num_ack_pending or 0))
        QUEUE_REDELIVERED.labels(consumer).set(info.num_redelivered or 0)


async def get_metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this gateway's metrics (queue depth read on scrape)."""
    await _update_queue_gauges(request)
    return web.Response(body=render_metrics(), headers={"Content-Type": CONTENT_TYPE_LATEST})
