"""The duration model separates fixed overhead from per-message cost."""

from __future__ import annotations

import pytest

from convoscope_common.throughput import Throughput, updated


def _after(jobs: list[tuple[int, float]]) -> Throughput:
    model = Throughput()
    for messages, seconds in jobs:
        model = updated(model, messages, seconds)
    return model


def test_tiny_jobs_do_not_make_a_large_one_look_slow() -> None:
    # What the service sees: sample exports of a few messages (all overhead), then a
    # 20k job; truth here is 1.5 s + 1/7000 s per message.
    truth = lambda m: 1.5 + m / 7000  # noqa: E731
    model = _after([(12, truth(12)), (40, truth(40)), (9, truth(9)), (20_000, truth(20_000))])
    assert model.seconds_for(117_000) == pytest.approx(truth(117_000), rel=0.05)
    assert model.overhead_seconds == pytest.approx(1.5, abs=0.1)


def test_the_old_per_job_rate_would_have_been_far_off() -> None:
    # A per-job rate from a 12-message job in 1.5 s says 8 msg/s.
    model = _after([(12, 1.5)])
    assert model.messages_per_second == pytest.approx(8.0)
    model = updated(model, 50_000, 9.0)
    assert model.seconds_for(100_000) == pytest.approx(1.5 + 100_000 * 7.5 / 49_988, rel=0.01)


def test_noise_that_gives_a_negative_slope_falls_back_to_the_largest_job() -> None:
    model = _after([(100, 5.0), (1000, 4.0)])
    assert model.messages_per_second == pytest.approx(1000 / 4.0)


def test_only_the_newest_jobs_count() -> None:
    model = _after([(1000, 100.0)] * 5 + [(1000, 1.0), (10_000, 2.0)] * 20)
    assert model.seconds_for(10_000) == pytest.approx(2.0, rel=0.01)
    assert len(model.recent) == 24


def test_nonsense_is_ignored() -> None:
    assert _after([(0, 1.0), (10, 0.0)]) == Throughput()
