"""The consumer runtime's pure parts: slots, outcomes, error classes (no bus)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from nats.js.errors import APIError, ServiceUnavailableError

from convoscope_common.consumer import Ack, Delivery, Retry, SlotPool, StandDown, Term, settle
from convoscope_common.faults import backoff, is_storage_full, is_transient
from tests.worker_fakes import FakeMsg


async def test_a_job_waiting_to_run_alone_is_not_overtaken_by_the_fetch_loop() -> None:
    """Before: the loop released and re-took its slot at once, so a job waiting for every
    slot (running alone after a crash) waited for ever, holding its message."""
    pool = SlotPool(2, asyncio.Event())
    assert await pool.acquire()  # the running job
    alone = asyncio.create_task(pool.acquire(2))
    await asyncio.sleep(0)
    loop_slot = asyncio.create_task(pool.acquire())  # the fetch loop comes back
    await asyncio.sleep(0)
    assert not loop_slot.done()  # queued behind the job that wants to run alone
    await pool.release()
    assert await asyncio.wait_for(alone, 1)
    assert not loop_slot.done()
    await pool.release(2)
    assert await asyncio.wait_for(loop_slot, 1)


async def test_two_jobs_that_want_to_run_alone_do_not_wait_for_each_other() -> None:
    pool = SlotPool(2, asyncio.Event())
    assert await pool.acquire() and await pool.acquire()
    first = Delivery(cast(Any, FakeMsg(b"")), "a", pool, 10)
    second = Delivery(cast(Any, FakeMsg(b"")), "b", pool, 10)
    a = asyncio.create_task(first.run_alone())
    b = asyncio.create_task(second.run_alone())
    assert await asyncio.wait_for(a, 1) and first.alone
    assert not b.done()
    await pool.release(first.held)
    assert await asyncio.wait_for(b, 1) and second.alone


async def test_stopping_ends_a_wait_for_a_slot() -> None:
    stopping = asyncio.Event()
    pool = SlotPool(1, stopping)
    assert await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.05)
    stopping.set()
    assert await asyncio.wait_for(waiting, 1) is False
    await pool.release()
    assert pool.free == 1  # nothing granted to the waiter that gave up


async def test_each_outcome_settles_one_way() -> None:
    cases = [
        (Ack(), ["ack"]),
        (Retry(1, "x"), ["nak"]),
        (Term("x"), ["term"]),
        (StandDown("x"), []),
    ]
    for outcome, expected in cases:
        msg = FakeMsg(b"")
        await settle(cast(Any, msg), outcome)
        assert msg.settled == expected, outcome


def test_a_jetstream_503_is_transient_and_a_full_store_is_not() -> None:
    assert is_transient(ServiceUnavailableError(code=503, description="temporarily unavailable"))
    full = ServiceUnavailableError(code=503, err_code=10077, description="maximum bytes exceeded")
    assert is_storage_full(full) and not is_transient(full)
    assert not is_transient(APIError(code=400, description="bad request"))
    assert not is_transient(ValueError("a bug"))
    assert [backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0] and backoff(20) == 30.0
