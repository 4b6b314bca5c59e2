"""Integration fixtures: a JetStream context on the session's real nats-server, provisioned
with its own settings per test (each test gets fresh buckets by deleting them first)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext

from convoscope_common import names


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context on an empty server (ConvoScope's resources removed first)."""
    nc = await nats.connect(nats_url)
    context = nc.jetstream()
    for name in (
        [names.JOBS_STREAM]
        + [f"KV_{b}" for b in names.KV_BUCKETS]
        + [f"OBJ_{s}" for s in names.OBJ_STORES]
    ):
        try:
            await context.delete_stream(name)
        except Exception:  # not there yet
            pass
    try:
        yield context
    finally:
        await nc.drain()
