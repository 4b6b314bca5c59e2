"""``GET /api/health`` and ``GET /metrics``."""

from __future__ import annotations

import time
from typing import Literal

from aiohttp import web

from convoscope_common import names
from convoscope_common.cache import cache_size
from convoscope_common.messages import HealthResponse
from convoscope_common.metrics import CONTENT_TYPE_LATEST, Gauge, render_metrics
from convoscope_gateway import __version__
from convoscope_gateway.jsonio import json_response
from convoscope_gateway.state import GATEWAY

# A service counts as up if it sent a heartbeat within this many intervals.
_STALE_AFTER_BEATS = 3


async def get_health(request: web.Request) -> web.Response:
    """Status, version, uptime, active jobs, cache size, NATS and the services seen."""
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
            size = await cache_size(gw.stores)
        except Exception:
            connected = False
    expected = {"ingest", "analyzer", "exporter"}
    status: Literal["healthy", "degraded", "unhealthy"] = (
        "healthy"
        if connected and expected <= set(services)
        else ("degraded" if connected else "unhealthy")
    )
    body = HealthResponse(
        status=status,
        version=__version__,
        uptime=round(now - gw.started, 1),
        active_jobs=sum(gw.active_jobs.values()),
        cache_size=size,
        nats="connected" if connected else "disconnected",
        services=services,
    )
    return json_response(body, status=200 if status != "unhealthy" else 503)


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
