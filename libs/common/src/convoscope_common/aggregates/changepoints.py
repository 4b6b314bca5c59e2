"""Mean-shift change points in an activity series (binary segmentation, pure Python)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A split must separate means by this many pooled standard errors.
MIN_T_STAT = 4.0
MIN_SEGMENT = 3
MAX_POINTS = 5


@dataclass(frozen=True, slots=True)
class Shift:
    """A change at ``index``: the mean before and from that index on."""

    index: int
    before: float
    after: float


def _best_split(values: list[float], lo: int, hi: int) -> tuple[int, float] | None:
    n = hi - lo
    if n < 2 * MIN_SEGMENT:
        return None
    segment = values[lo:hi]
    mean_all = sum(segment) / n
    variance = sum((v - mean_all) ** 2 for v in segment) / max(n - 1, 1)
    best: tuple[int, float] | None = None
    prefix = 0.0
    for i in range(1, n):
        prefix += segment[i - 1]
        if i < MIN_SEGMENT or n - i < MIN_SEGMENT:
            continue
        left = prefix / i
        right = (sum(segment) - prefix) / (n - i)
        # Residual variance within the two halves; a floor keeps flat halves finite.
        within = (
            sum((v - left) ** 2 for v in segment[:i]) + sum((v - right) ** 2 for v in segment[i:])
        ) / max(n - 2, 1)
        scale = math.sqrt(max(within, variance * 0.01, 1e-9) * (1 / i + 1 / (n - i)))
        t = abs(left - right) / scale
        if best is None or t > best[1]:
            best = (lo + i, t)
    return best


def mean_shifts(values: list[float]) -> list[Shift]:
    """Indices where the mean level shifts, strongest first found, returned in order."""
    found: list[int] = []
    stack = [(0, len(values))]
    while stack and len(found) < MAX_POINTS:
        lo, hi = stack.pop()
        split = _best_split(values, lo, hi)
        if split is None or split[1] < MIN_T_STAT:
            continue
        found.append(split[0])
        stack.extend([(lo, split[0]), (split[0], hi)])
    found.sort()
    bounds = [0, *found, len(values)]
    shifts = []
    for k, index in enumerate(found):
        before = values[bounds[k] : index]
        after = values[index : bounds[k + 2]]
        shifts.append(Shift(index, sum(before) / len(before), sum(after) / len(after)))
    return shifts
