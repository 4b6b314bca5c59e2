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
arenas that a few surviving objects keep, which only the next jobs reuse.
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
    written)."""

    def __init__(
        self,
        work_done: Callable[[], int],
        is_idle: Callable[[], bool],
        release: Callable[[], None] = release_memory,
        look_every: float = LOOK_EVERY,
    ) -> None:
        self._work_done = work_done
        self._is_idle = is_idle
        self._release = release
        self._look_every = look_every
        self.releases = 0  # (tests, logs)

    async def run(self) -> None:
        """Look every ``look_every`` seconds until cancelled (work counted from zero)."""
        seen = 0
        while True:
            await asyncio.sleep(self._look_every)
            done = self._work_done()
            if done == seen or not self._is_idle():
                continue
            seen = done
            before = rss_mb()
            await asyncio.to_thread(self._release)
            self.releases += 1
            log.info("memory_released", rss_mb_before=before, rss_mb=rss_mb())
