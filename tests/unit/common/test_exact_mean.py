"""exact_mean equals statistics.mean bit for bit (the merged sections rely on it)."""

from __future__ import annotations

import random
import statistics

import pytest

from convoscope_common.aggregates.exact import exact_mean


@pytest.mark.parametrize("seed", range(20))
def test_equals_statistics_mean_on_awkward_floats(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.choice([1e-300, 1e300, -1e300, 0.1, -0.7, 1 / 3]) * rng.random()
              for _ in range(rng.randint(1, 400))]  # fmt: skip
    values += [round(rng.uniform(-1, 1), 4) for _ in range(rng.randint(0, 400))]
    assert exact_mean(values) == float(statistics.mean(values))


def test_equals_statistics_mean_on_integers() -> None:
    rng = random.Random(3)
    for _ in range(200):
        values = [rng.randint(0, 10 ** rng.randint(1, 30)) for _ in range(rng.randint(1, 50))]
        assert exact_mean(values) == float(statistics.mean(values))
    assert exact_mean([1, 2]) == 1.5
    # Where a float sum then a division would round twice: the exact sum is 2**53 + 1.
    values = [2.0**53, 1.0, 0.0]
    assert exact_mean(values) == float(statistics.mean(values)) != sum(values) / 3


def test_no_values_and_no_finite_value_are_errors() -> None:
    with pytest.raises(ValueError):
        exact_mean([])
    with pytest.raises((ValueError, OverflowError)):
        exact_mean([1.0, float("inf")])


@pytest.mark.parametrize("seed", range(10))
def test_equals_statistics_mean_across_the_whole_exponent_range(seed: int) -> None:
    # Sums whose exact value needs many fsum terms (values from subnormals to near
    # the largest float), and signed zeros.
    rng = random.Random(100 + seed)
    for _ in range(200):
        values = [
            rng.choice(
                [
                    rng.uniform(-1, 1) * 2.0 ** rng.randint(-1074, 1000),
                    round(rng.uniform(-1, 1), 4),
                    5e-324,
                    -0.0,
                    0.0,
                ]
            )
            for _ in range(rng.randint(1, 60))
        ]
        assert exact_mean(values) == float(statistics.mean(values))


def test_an_intermediate_overflow_and_mixed_numbers() -> None:
    # fsum overflows on the way (1e308 + 1e308) although the sum is finite.
    values = [1e308, 1e308, -1e308]
    assert exact_mean(values) == float(statistics.mean(values))
    # An int beyond 2**53 among floats is summed exactly, not as a float.
    mixed: list[float] = [2**60 + 1, 0.5, 0.25]
    assert exact_mean(mixed) == float(statistics.mean(mixed))
    with pytest.raises((ValueError, OverflowError)):
        exact_mean([float("nan"), 1.0])
    with pytest.raises((ValueError, OverflowError)):
        exact_mean([float("inf"), float("-inf")])
