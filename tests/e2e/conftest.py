"""The whole stack as separate processes, started exactly as ``make run`` starts it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.helpers import EventLog

# Short redelivery so the kill test does not wait 30 s; everything else is the default.
E2E_ENV = {"CONVOSCOPE_ACK_WAIT": "3", "CONVOSCOPE_LOG_LEVEL": "INFO"}


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A running stack with its own embedded nats-server (a module may add ``STACK_ENV``)."""
    env = {**E2E_ENV, **getattr(request.module, "STACK_ENV", {})}
    with Stack(tmp_path_factory.mktemp("stack"), port=free_port(), env=env) as running:
        yield running
        assert running.nats is not None
        log = running.nats.log_file
        violations = [line for line in log.read_text().splitlines() if "Violation" in line]
        # Every service ran with its own least-privilege NATS user: none was refused.
        assert not violations, violations[:5]


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=stack.url) as session:
        yield session


@pytest.fixture
async def events(stack: Stack) -> AsyncIterator[EventLog]:
    log = EventLog()
    await log.client.connect(stack.url, transports=["websocket"])
    try:
        yield log
    finally:
        await log.client.disconnect()
