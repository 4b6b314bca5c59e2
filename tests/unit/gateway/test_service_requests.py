"""A request to a worker service (ingest, an analyzer's drill-down) that nobody receives
is asked again for a moment before the answer is 503 (a process restarting: an analyzer
recycled after its job, or a subscription not yet known to this gateway's server in a
cluster); a request that times out is not asked again."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from convoscope_gateway import service_requests
from convoscope_gateway.errors import ServiceUnavailableError
from convoscope_gateway.service_requests import ask_ingest, ask_service


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
    monkeypatch.setattr(service_requests, "NO_RESPONDERS_WAIT", 0.3)
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


async def test_an_analyzer_back_from_a_recycle_answers_its_drill_down() -> None:
    nc = _Nats([NoRespondersError()] * 4)
    reply = await ask_service(_gateway(nc), "d", b"q", service="analyzer", timeout=30)
    assert reply == b"reply:q" and nc.requests == 5


async def test_no_analyzer_is_a_503_that_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_requests, "NO_RESPONDERS_WAIT", 0.1)
    nc = _Nats([NoRespondersError()] * 1000)
    with pytest.raises(ServiceUnavailableError, match="the analyzer service is not running"):
        await ask_service(_gateway(nc), "d", b"q", service="analyzer", timeout=30)
