"""``exact_mean``: :func:`statistics.mean`'s value, computed quicker.

``statistics.mean`` sums its numbers as exact fractions and rounds once; it spends most
of its time in a Python call per number. Summing each number's integer ratio scaled to
the largest (power-of-two) denominator is the same exact sum, and Python's int / int
division rounds correctly, so the value is the same, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence


def exact_mean(values: Sequence[int] | Sequence[float]) -> float:
    """The correctly rounded mean of finite ``values`` (as ``float(statistics.mean(values))``).

    Raises ValueError when there are none (statistics raises StatisticsError, a
    ValueError), OverflowError or ValueError for an infinite or NaN value.
    """
    if not values:
        raise ValueError("exact_mean requires at least one value")
    if all(type(v) is int for v in values):
        return sum(values) / len(values)
    ratios = [v.as_integer_ratio() for v in values]
    denominator = max(d for _, d in ratios)  # floats' denominators are powers of two
    total = sum(n * (denominator // d) for n, d in ratios)
    return total / (denominator * len(values))
