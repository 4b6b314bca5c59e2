"""The results and the redacted corpus are stored at once (``job_run._all_or_none``): a
failed write stops the other and its error comes out as it is, so the job's handling
still tells a transient fault by its type."""

from __future__ import annotations

import asyncio

import pytest

from convoscope_analyzer.job_run import _all_or_none


async def test_both_writes_run_at_once() -> None:
    events: list[str] = []

    async def write(name: str) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(0.01)
        events.append(f"end {name}")

    await _all_or_none([write("results"), write("corpus")])
    assert events[:2] == ["start results", "start corpus"]
    assert sorted(events[2:]) == ["end corpus", "end results"]


async def test_a_failed_write_stops_the_other_and_is_raised_as_it_is() -> None:
    stopped = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.set()
            raise

    async def failing() -> None:
        await asyncio.sleep(0)
        raise TimeoutError("a chunk was not acknowledged")

    with pytest.raises(TimeoutError, match="acknowledged"):
        await _all_or_none([slow(), failing()])
    assert stopped.is_set()
