"""Chaos (issue 12 point 4): analyzers SIGKILLed, or SIGSTOPped past ack_wait, while
every job runs as shards over the bus — the short version of
``python bench/chaos.py --scenario sharded``.

A killed analyzer takes the job it coordinated (another run takes it over and keeps the
shards already complete) and the shard it was computing (redelivered, computed again
under the same record and object, merged once: the merge refuses gaps and overlaps).
Held to the same bar as the unsharded scenario.
"""

from __future__ import annotations

import pytest

from ._load import chaos

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(600)]


async def test_sigkilled_analyzers_lose_no_sharded_job_and_announce_each_end_once() -> None:
    bench = chaos()
    sizes = bench.SHORT
    title, report = await bench.run_scenario("sharded", sizes, seed=13)
    report.print(title)
    assert report.submitted >= sizes.jobs
    assert report.kills >= 1 and report.pauses >= 1  # the faults really happened
    assert report.clean(), report.rows()
    assert report.completed + sum(report.failed.values()) == report.submitted
    assert set(report.failed) <= {"job_failed_repeatedly"}, report.failed
