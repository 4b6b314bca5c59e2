"""NATS connection with reconnect, logging callbacks and drain on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from nats.aio.client import Client as NATS

from convoscope_common.logs import get_logger

log = get_logger(__name__)


async def connect(url: str, name: str) -> NATS:
    """Connect to NATS, reconnecting forever (a service waits for its bus)."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats_error", error=type(exc).__name__)

    async def on_disconnect() -> None:
        log.warning("nats_disconnected")

    async def on_reconnect() -> None:
        log.info("nats_reconnected")

    return await nats.connect(
        # A comma-separated list names the servers of a cluster; nats-py learns the
        # others from the one it reaches and reconnects to any of them.
        servers=[part.strip() for part in url.split(",") if part.strip()],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


@asynccontextmanager
async def nats_connection(url: str, name: str) -> AsyncIterator[NATS]:
    """``async with`` a connection that is drained (not just closed) on exit."""
    nc = await connect(url, name)
    try:
        yield nc
    finally:
        if not nc.is_closed:
            try:
                await nc.drain()
            except Exception as exc:  # drain can time out; close anyway
                log.warning("nats_drain_failed", error=type(exc).__name__)
                await nc.close()
