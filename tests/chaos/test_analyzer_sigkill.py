"""Chaos (issue 11): analyzers SIGKILLed, or SIGSTOPped past ack_wait, at random points
while jobs run — the short versions of ``python bench/chaos.py --scenario analyzers`` and
``--scenario sharded``
(docs/reliability.md has the full run).

Held to the issue's bar: nothing lost, no duplicate terminal event, progress monotone,
no status change after a final state, every request answered. Jobs may end ``failed``
only for a reason (a job killed ``MAX_ATTEMPTS`` times while it ran alone is given up).
"""

from __future__ import annotations

import pytest

from ._load import chaos

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(600)]


@pytest.mark.parametrize("scenario", ["analyzers", "sharded"])
async def test_sigkilled_analyzers_lose_no_job_and_announce_each_end_once(scenario: str) -> None:
    """``sharded``: every job in 4 shards both analyzers take, so a killed or paused
    coordinator's job is taken over with its shards half done. A job that does not end
    within ``SHORT.deadline`` is reported with its records and log lines (the report's
    diagnosis) before the assertions, well within the timeout."""
    bench = chaos()
    sizes = bench.SHORT
    title, report = await bench.run_scenario(scenario, sizes, seed=11)
    report.print(title)
    assert report.submitted >= sizes.jobs
    assert report.kills >= 1 and report.pauses >= 1  # the faults really happened
    assert report.clean(), report.rows()
    assert report.completed + sum(report.failed.values()) == report.submitted
    assert set(report.failed) <= {"job_failed_repeatedly"}, report.failed
