"""The startup calibration: a fixed workload, timed, scales the throughput prior."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from convoscope_analyzer.calibration import best_seconds, run_workload, workload_texts
from convoscope_common.throughput import Throughput, calibrated_prior
from tests.fresh_imports import loaded_after


def test_a_faster_machine_gets_a_proportionally_faster_prior() -> None:
    prior = Throughput()
    fast = calibrated_prior(0.1, reference_seconds=0.2)  # the workload in half the time
    slow = calibrated_prior(0.6, reference_seconds=0.2)
    assert fast.calibration == pytest.approx(2.0)
    assert fast.messages_per_second == pytest.approx(2 * prior.messages_per_second)
    assert fast.overhead_seconds == pytest.approx(prior.overhead_seconds / 2)
    assert fast.seconds_for(63_704, 2) == pytest.approx(prior.seconds_for(63_704, 2) / 2)
    assert slow.seconds_for(63_704) == pytest.approx(3 * prior.seconds_for(63_704))
    # Still a prior: the first measured job replaces it.
    assert fast.samples == 0 and fast.recent == []
    assert fast.parallel_share == prior.parallel_share


def test_the_reference_machine_keeps_the_prior() -> None:
    same = calibrated_prior(0.25, reference_seconds=0.25)
    assert same.seconds_for(10_000) == pytest.approx(Throughput().seconds_for(10_000))


def test_an_implausible_timing_is_bounded() -> None:
    assert calibrated_prior(0.001, reference_seconds=0.2).calibration == 5.0
    assert calibrated_prior(100.0, reference_seconds=0.2).calibration == 0.2


@pytest.mark.parametrize(("measured", "reference"), [(0.0, 0.2), (-1.0, 0.2), (0.2, 0.0)])
def test_no_timing_gives_the_plain_prior(measured: float, reference: float) -> None:
    model = calibrated_prior(measured, reference_seconds=reference)
    assert model == Throughput()
    assert model.calibration == 0.0


def test_the_workload_is_fixed_and_does_the_engine_work() -> None:
    texts = workload_texts()
    assert texts == workload_texts()
    assert len(texts) > 1000 and len(set(texts)) == len(texts)
    # The scan finds the addresses and numbers, the scoring the complaints.
    assert run_workload(texts[:16]) == run_workload(texts[:16]) > 0


def test_the_fastest_run_counts() -> None:
    ticks: Iterator[float] = iter([0.0, 3.0, 10.0, 11.0, 20.0, 22.0])
    assert best_seconds(workload_texts(20), runs=3, clock=lambda: next(ticks)) == 1.0


def test_calibrating_loads_no_scikit_learn() -> None:
    code = (
        "from convoscope_analyzer.worker import run\n"
        "from convoscope_analyzer.engine import warm_up\n"
        "from convoscope_analyzer.calibration import best_seconds, workload_texts\n"
        "warm_up()\n"
        "best_seconds(workload_texts(), runs=1)\n"
    )
    assert loaded_after(code, ("sklearn", "scipy", "numpy"), timeout=120) == []
