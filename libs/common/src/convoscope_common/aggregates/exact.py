"""``exact_mean``: :func:`statistics.mean`'s value, computed quicker.

``statistics.mean`` sums its numbers as exact fractions and rounds once; it spends most
of its time in a Python call per number. Here the exact sum is found with
:func:`math.fsum` (C speed, correctly rounded): the sum, then the sum of the numbers
less what was found so far, until nothing is left. The few terms found add up exactly to
the sum of the numbers (each is the correctly rounded rest, so the rest shrinks by 53
bits or more at each step and ends at zero within the floats' exponent range); their
integer ratios, scaled to the largest (power-of-two) denominator, give that sum exactly,
and Python's int / int division rounds correctly, so the value is the same, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain

# fsum passes before the integer-ratio sum is used instead (the terms of any sum of
# finite floats number at most about 2,100 / 53 = 40).
_MAX_TERMS = 48


def exact_mean(values: Sequence[int] | Sequence[float]) -> float:
    """The correctly rounded mean of finite ``values`` (as ``float(statistics.mean(values))``).

    Raises ValueError when there are none (statistics raises StatisticsError, a
    ValueError), OverflowError or ValueError for an infinite or NaN value.
    """
    if not values:
        raise ValueError("exact_mean requires at least one value")
    if all(type(v) is int for v in values):
        return sum(values) / len(values)
    terms: list[float] = []
    if all(type(v) is float for v in values):  # fsum would round a large int
        try:
            while len(terms) < _MAX_TERMS:
                rest = math.fsum(chain(values, (-t for t in terms)))
                if rest == 0.0:
                    return _mean(terms, len(values)) if terms else 0.0
                if not math.isfinite(rest):
                    break  # an infinite or NaN value: raised below, as statistics does
                terms.append(rest)
        except OverflowError:  # fsum's intermediate overflow: the integer ratios are exact
            pass
    return _mean(values, len(values))


def _mean(values: Sequence[int] | Sequence[float], n: int) -> float:
    """The sum of ``values`` divided by ``n``, rounded once."""
    ratios = [v.as_integer_ratio() for v in values]
    denominator = max(d for _, d in ratios)  # floats' denominators are powers of two
    total = sum(a * (denominator // d) for a, d in ratios)
    return total / (denominator * n)
