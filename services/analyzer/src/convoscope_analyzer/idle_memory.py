"""Give a finished job's memory back once the replica is idle, and forget its values.

What a job leaves in this process after it is over:
- the detectors' caches of validated phone numbers: values from the job's texts, which
  no later job should find in this process's memory;
- cyclic garbage the collector has not reached yet (the pull loop's timed-out fetches
  leave frames and tracebacks in cycles), which keeps whole allocator arenas alive;
- free heap pages glibc keeps for reuse.

:class:`IdleRelease` runs :func:`release_memory` once after each spell of work, when
nothing runs or is held any more. Measured (docs/performance.md, "Memory between jobs",
``bench/bench_memory_between_jobs.py``): the fifth large job of a replica peaked at
2.09-2.17x its export instead of 2.45-2.50x. Much of what a replica holds after a job
stays (110-135 MB against 65 MB before its first): free space inside Python's object
arenas that a few surviving objects keep (60-75 arenas of 1 MiB for 25 MB of live
objects), which CPython never gives back and every later job's peak stands on. So a
replica that stays more than ``recycle_above_mb`` above its starting size ends itself
(``CONVOSCOPE_ANALYZER_RECYCLE_MB``, exit code 75) and its supervisor starts it afresh:
then no job of five 85-94 MB exports peaked above 1.86x its export (2.06x without).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

from convoscope_analyzer.memory import give_back
from convoscope_analyzer.privacy import forget_found_values
from convoscope_analyzer.stages import rss_mb
from convoscope_common.logs import get_logger

log = get_logger(__name__)

# How often the replica looks whether it has become idle (seconds). A look is two
# counter reads; the release itself takes a few tens of milliseconds.
LOOK_EVERY = 1.0


def release_memory() -> None:
    """Forget the detectors' cached values, collect cyclic garbage, and hand the heap's
    free pages back to the operating system."""
    forget_found_values()
    gc.collect()
    give_back()


class IdleRelease:
    """Calls ``release`` (in a thread) once after work was done, as soon as the replica
    is idle: ``work_done`` counts the jobs and shards finished so far, ``is_idle`` says
    whether nothing runs and nothing of a job is held (kept corpora, pieces being
    written).

    When the resident size after a release stays more than ``recycle_above_mb`` above
    what it was when :meth:`run` started (0: never), ``recycle`` is called, once: the
    replica ends itself and its supervisor starts a fresh process. Nothing else gives
    that free space back (see the module docstring), and every later job's peak stands
    on it.
    """

    def __init__(
        self,
        work_done: Callable[[], int],
        is_idle: Callable[[], bool],
        release: Callable[[], None] = release_memory,
        look_every: float = LOOK_EVERY,
        *,
        recycle_above_mb: float = 0.0,
        recycle: Callable[[], None] | None = None,
        resident_mb: Callable[[], float | None] = rss_mb,
    ) -> None:
        self._work_done = work_done
        self._is_idle = is_idle
        self._release = release
        self._look_every = look_every
        self._recycle_above = recycle_above_mb if recycle is not None else 0.0
        self._recycle = recycle
        self._resident = resident_mb
        self.releases = 0  # (tests, logs)
        self.recycled = False

    async def run(self) -> None:
        """Look every ``look_every`` seconds until cancelled (work counted from zero),
        or until the replica is recycled."""
        seen = 0
        started = self._resident()
        while True:
            await asyncio.sleep(self._look_every)
            done = self._work_done()
            if done == seen or not self._is_idle():
                continue
            seen = done
            before = self._resident()
            await asyncio.to_thread(self._release)
            self.releases += 1
            after = self._resident()
            log.info("memory_released", rss_mb_before=before, rss_mb=after)
            if self._over(started, after):
                log.info(
                    "replica_recycling",
                    rss_mb=after,
                    rss_mb_started=started,
                    limit_mb=self._recycle_above,
                )
                self.recycled = True
                assert self._recycle is not None
                self._recycle()
                return

    def _over(self, started: float | None, now: float | None) -> bool:
        if not self._recycle_above or started is None or now is None:
            return False
        return now - started > self._recycle_above
