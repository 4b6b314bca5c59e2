"""Chaos (issue 11): analyzers SIGKILLed, or SIGSTOPped past ack_wait, at random points
while 20 jobs run.

Runs the same code as ``bench/chaos.py`` and holds it to the issue's bar: nothing lost,
no duplicate terminal event, progress monotone, no status change after a final state.
Jobs may end ``failed`` only for a reason (a job killed ``MAX_ATTEMPTS`` times while it
ran alone is given up).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"


def _chaos() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def test_sigkilled_analyzers_lose_no_job_and_announce_each_end_once() -> None:
    chaos = _chaos()
    report = await chaos.run_chaos(jobs=20, kills=5, pauses=5, conversations=300, seed=11)
    report.print("chaos: 20 jobs, 5 analyzer SIGKILLs, 5 SIGSTOPs past ack_wait")
    assert report.submitted == 20
    assert report.kills >= 1 and report.pauses >= 1  # the faults really happened
    assert report.lost == 0
    assert report.duplicates == 0
    assert report.non_monotone == 0
    assert report.left_terminal == 0
    assert report.completed + sum(report.failed.values()) == 20
    assert set(report.failed) <= {"job_failed_repeatedly"}, report.failed
