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
from collections.abc import Iterable, Iterator
from typing import Literal

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from convoscope_common import names
from convoscope_common.api import HealthResponse, HealthStatus
from convoscope_common.launcher_status import ProcessStatus, read_status
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
    launcher = read_status(gw.settings.launcher_status)
    processes = launcher.processes if launcher is not None else {}
    # A process the launcher gave up on (or is restarting) leaves the stack degraded,
    # even while its last heartbeat is still within the horizon.
    all_running = all(p.state == "running" for p in processes.values())
    status: Literal["healthy", "degraded", "unhealthy"] = (
        "healthy"
        if connected and expected <= set(services) and all_running
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
        processes=processes,
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


class LauncherCollector(Collector):
    """Restarts and state of the processes of the local launcher, read from its status record.

    The launcher has no HTTP port of its own; the gateway it runs exposes its figures.
    """

    def __init__(self) -> None:
        self.path = ""  # set from the gateway's settings on each scrape

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """The metric families without samples (checked once at registration)."""
        yield from self._families()

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """One sample per supervised process; none without a fresh status record."""
        status = read_status(self.path) if self.path else None
        yield from self._families(status.processes.items() if status else ())

    @staticmethod
    def _families(
        processes: Iterable[tuple[str, ProcessStatus]] = (),
    ) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        restarts = CounterMetricFamily(
            "convoscope_service_restarts",
            "Restarts of a process by the local launcher (make run) since it started",
            labels=["service"],
        )
        up = GaugeMetricFamily(
            "convoscope_service_up",
            "1 while the launcher's process runs, 0 while it restarts or was given up",
            labels=["service"],
        )
        for name, proc in processes:
            restarts.add_metric([name], proc.restarts)
            up.add_metric([name], 1.0 if proc.state == "running" else 0.0)
        yield restarts
        yield up


LAUNCHER = LauncherCollector()
REGISTRY.register(LAUNCHER)


async def get_metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this gateway's metrics (queue depth read on scrape)."""
    await _update_queue_gauges(request)
    LAUNCHER.path = request.app[GATEWAY].settings.launcher_status
    return web.Response(body=render_metrics(), headers={"Content-Type": CONTENT_TYPE_LATEST})
