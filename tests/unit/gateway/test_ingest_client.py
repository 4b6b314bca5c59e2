"""A request to ingest that nobody receives is asked again for a moment before the
answer is 503 (an ingest restarting, or its subscription not yet known to this
gateway's server in a cluster); a request that times out is not asked again."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from convoscope_gateway import ingest_client
from convoscope_gateway.errors import ServiceUnavailableError
from convoscope_gateway.ingest_client import ask_ingest


class _Nats:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.requests = 0

    async def request(self, subject: str, payload: bytes, timeout: float) -> Any:
        self.requests += 1
        if self.failures:
            raise self.failures.pop(0)
        return SimpleNamespace(data=b"reply:" + payload)


def _gateway(nc: _Nats) -> Any:
    return cast(Any, SimpleNamespace(nc=nc, settings=SimpleNamespace(ingest_timeout=5.0)))


async def test_an_ingest_that_subscribes_moments_later_answers() -> None:
    nc = _Nats([NoRespondersError(), NoRespondersError(), NoRespondersError()])
    assert await ask_ingest(_gateway(nc), "s", b"x") == b"reply:x"
    assert nc.requests == 4


async def test_no_ingest_at_all_is_a_503_after_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_client, "NO_RESPONDERS_WAIT", 0.3)
    nc = _Nats([NoRespondersError()] * 1000)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ServiceUnavailableError, match="not running"):
        await ask_ingest(_gateway(nc), "s", b"x")
    assert 0.3 <= loop.time() - started < 2.0
    assert 3 <= nc.requests < 20  # pauses doubling from 50 ms, not a busy loop


async def test_a_request_that_times_out_is_not_asked_again() -> None:
    nc = _Nats([NatsTimeoutError()])
    with pytest.raises(ServiceUnavailableError, match="in time"):
        await ask_ingest(_gateway(nc), "s", b"x")
    assert nc.requests == 1
