"""``retrying``: what passes is asked again with growing pauses, anything else (and the
last refusal) goes to the caller as it came."""

from __future__ import annotations

import asyncio

import pytest

from convoscope_common import retry
from convoscope_common.retry import retrying


class Passing(Exception):
    pass


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    return waited


def _refusing(times: int, error: type[Exception] = Passing):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    async def make() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error("refused")
        return "done"

    return make, calls


async def test_a_refusal_that_passes_is_asked_again_with_growing_pauses(
    pauses: list[float],
) -> None:
    make, calls = _refusing(2)
    retried: list[int] = []
    result = await retrying(
        make,
        passing=lambda e: isinstance(e, Passing),
        attempts=5,
        pause=0.2,
        growth=2.0,
        on_retry=retried.append,
    )
    assert result == "done"
    assert len(calls) == 3
    assert pauses == [0.2, 0.4]
    assert retried == [2, 3]


async def test_another_error_goes_to_the_caller_at_once(pauses: list[float]) -> None:
    make, calls = _refusing(1, ValueError)
    with pytest.raises(ValueError):
        await retrying(make, passing=lambda e: isinstance(e, Passing), attempts=5, pause=0.1)
    assert len(calls) == 1 and pauses == []


async def test_the_last_refusal_goes_to_the_caller(pauses: list[float]) -> None:
    make, calls = _refusing(10)
    with pytest.raises(Passing):
        await retrying(make, passing=lambda e: isinstance(e, Passing), attempts=3, pause=0.1)
    assert len(calls) == 3
    assert pauses == [0.1, 0.1]  # no growth unless asked


async def test_cancellation_is_never_retried() -> None:
    async def make() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await retrying(make, passing=lambda e: True, attempts=3, pause=0.0)
