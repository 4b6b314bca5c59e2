"""The life of a service process: settings, logging, metrics, NATS, heartbeats, signals.

A service supplies one coroutine ``body(ctx)`` that runs until ``ctx.stopping``
is set (SIGTERM / SIGINT); then the connection is drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.bus import nats_connection
from convoscope_common.config import ConfigurationError, Settings, load_settings
from convoscope_common.exit_codes import CONFIG_ERROR, RECYCLED
from convoscope_common.logs import configure_logging, get_logger
from convoscope_common.metrics import serve_metrics
from convoscope_common.provisioning import ensure_provisioned
from convoscope_common.wire import Heartbeat, encode

log = get_logger(__name__)


@dataclass
class ServiceContext:
    """What a service body gets: its settings, the bus, and the stop signal."""

    service: str
    instance: str
    settings: Settings
    nc: NATS
    js: JetStreamContext
    stopping: asyncio.Event
    active_jobs: Callable[[], int] = field(default=lambda: 0)
    # What the process exits with once the body returned (``end_for_restart``).
    exit_code: int = 0

    def end_for_restart(self) -> None:
        """Stop as on SIGTERM, then exit with :data:`~.exit_codes.RECYCLED`: the
        supervisor starts the service again at once (a fresh process)."""
        self.exit_code = RECYCLED
        self.stopping.set()


async def _heartbeat(ctx: ServiceContext) -> None:
    while not ctx.stopping.is_set():
        beat = Heartbeat(service=ctx.service, instance=ctx.instance, active_jobs=ctx.active_jobs())
        with contextlib.suppress(Exception):  # a missed beat is harmless; the next one comes
            await ctx.nc.publish(names.heartbeat_subject(ctx.service), encode(beat))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.stopping.wait(), ctx.settings.heartbeat_interval)


async def serve(
    service: str, body: Callable[[ServiceContext], Awaitable[None]], settings: Settings
) -> int:
    """Run ``body`` with a connected, provisioned context until a stop signal; returns
    the process's exit code (0, or :data:`~.exit_codes.RECYCLED`)."""
    configure_logging(service, settings.log_level, settings.log_format)
    serve_metrics(settings.metrics_port, settings.host)
    # Replicas must be told apart (health sums their active jobs): default to the host name.
    instance = os.environ.get("CONVOSCOPE_INSTANCE") or f"{service}-{socket.gethostname()}"
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    async with nats_connection(
        settings.nats_url, f"convoscope-{instance}", settings.nats_user, settings.nats_password
    ) as nc:
        js = nc.jetstream()
        await ensure_provisioned(js, settings)
        ctx = ServiceContext(service, instance, settings, nc, js, stopping)
        beat = asyncio.create_task(_heartbeat(ctx))
        log.info("service_started", instance=instance)
        try:
            await body(ctx)
        finally:
            stopping.set()
            await beat
            log.info("service_stopping", instance=instance, exit_code=ctx.exit_code)
    return ctx.exit_code


def run_service(
    service: str,
    body: Callable[[ServiceContext], Awaitable[None]],
    check: Callable[[Settings], object] | None = None,
) -> int:
    """Entry point helper for ``python -m convoscope_<service>``.

    ``check(settings)`` validates service-specific configuration before anything
    connects. Returns :data:`~.exit_codes.CONFIG_ERROR`, with one clear line on stderr,
    when the configuration is unusable (:class:`ConfigurationError`); else what
    :func:`serve` returns.
    """
    try:
        settings = load_settings()
        if check is not None:
            check(settings)
        return asyncio.run(serve(service, body, settings))
    except ConfigurationError as exc:
        print(f"convoscope-{service}: invalid configuration: {exc}", file=sys.stderr)
        return CONFIG_ERROR
