"""An idle analyzer gives back what its jobs left: once after each spell of work, never
while anything runs or is held, and no detected phone number stays cached."""

from __future__ import annotations

import asyncio

from convoscope_analyzer.idle_memory import IdleRelease, release_memory
from convoscope_analyzer.privacy import detect
from convoscope_analyzer.privacy.detectors import contact

LOOK = 0.01


class _Replica:
    """Counters as the worker keeps them: work finished, and whether it is idle."""

    def __init__(self) -> None:
        self.done = 0
        self.busy = False
        self.releases: list[int] = []

    def release(self) -> None:
        self.releases.append(self.done)


async def _watch(replica: _Replica, steps: list[tuple[int, bool]]) -> list[int]:
    """Run an IdleRelease over ``replica`` while the counters go through ``steps``
    (work done so far, busy), a few looks each."""
    watcher = IdleRelease(lambda: replica.done, lambda: not replica.busy, replica.release, LOOK)
    task = asyncio.create_task(watcher.run())
    try:
        for done, busy in steps:
            replica.done, replica.busy = done, busy
            await asyncio.sleep(LOOK * 6)
    finally:
        task.cancel()
    return replica.releases


async def test_nothing_is_released_before_any_work() -> None:
    assert await _watch(_Replica(), [(0, False), (0, False)]) == []


async def test_released_once_after_work_when_idle() -> None:
    assert await _watch(_Replica(), [(1, False), (1, False), (1, False)]) == [1]


async def test_not_released_while_busy_then_released_when_idle() -> None:
    released = await _watch(_Replica(), [(0, True), (1, True), (1, True), (1, False)])
    assert released == [1]


async def test_each_spell_of_work_is_followed_by_one_release() -> None:
    steps = [(1, False), (1, True), (2, True), (2, False), (2, False), (3, False)]
    assert await _watch(_Replica(), steps) == [1, 2, 3]


def test_release_forgets_the_phone_numbers_the_detectors_validated() -> None:
    found = detect("Call me on +1 650-253-0000 tomorrow.")
    assert [d.entity_type for d in found] == ["phone"]
    cached = (contact._valid_in, contact._possible_in, contact._validated_phones)
    assert sum(c.cache_info().currsize for c in cached) > 0
    release_memory()
    assert sum(c.cache_info().currsize for c in cached) == 0


class _Sizes:
    """A resident size the test sets: what the replica measures at start and after each
    release."""

    def __init__(self, mb: float) -> None:
        self.mb = mb

    def __call__(self) -> float:
        return self.mb


async def _recycling(sizes: _Sizes, limit: float, after_job: list[float]) -> tuple[int, int]:
    """Jobs finish one by one, each leaving the replica at the next size of ``after_job``:
    (releases, recycles) once they are done."""
    replica, recycles = _Replica(), []
    watcher = IdleRelease(
        lambda: replica.done,
        lambda: not replica.busy,
        replica.release,
        LOOK,
        recycle_above_mb=limit,
        recycle=lambda: recycles.append(replica.done),
        resident_mb=sizes,
    )
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.sleep(LOOK * 3)  # started: measured at 65 MB
        for mb in after_job:
            sizes.mb = mb
            replica.done += 1
            await asyncio.sleep(LOOK * 6)
    finally:
        task.cancel()
    assert watcher.recycled == bool(recycles)
    return len(replica.releases), len(recycles)


async def test_a_replica_that_stays_far_above_its_start_is_recycled_once() -> None:
    # 65 MB at start; after its jobs 86, 104, then 110 MB: more than 40 above, recycled
    # once, and nothing more is looked at (the replica is ending).
    assert await _recycling(_Sizes(65), 40, [86, 104, 110, 120]) == (3, 1)


async def test_a_replica_below_the_limit_or_with_recycling_off_stays() -> None:
    assert await _recycling(_Sizes(65), 40, [86, 104, 100]) == (3, 0)
    assert await _recycling(_Sizes(65), 0, [300, 400]) == (2, 0)
