"""Shard ranges shrink towards the end and cover every conversation once."""

from __future__ import annotations

import random

import pytest

from convoscope_analyzer.engine.sharding import shard_bounds
from convoscope_analyzer.shard_ranges import tapered_bounds


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("shards", [1, 2, 3, 8, 16])
def test_ranges_cover_everything_once_and_shrink(seed: int, shards: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 40) for _ in range(2000)]
    bounds = tapered_bounds(sizes, shards)
    assert len(bounds) == shards
    assert bounds[0][0] == 0 and bounds[-1][1] == len(sizes)
    assert all(a < b for a, b in bounds)
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    totals = [sum(sizes[a:b]) for a, b in bounds]
    if shards > 1:
        # Falling shares, up to one conversation's size (40) of rounding.
        assert all(totals[i] > totals[i + 1] - 40 for i in range(shards - 1))
        assert totals[0] > 1.8 * totals[-1]


def test_no_taper_is_the_equal_split_and_small_inputs_hold() -> None:
    sizes = [random.Random(4).randint(1, 9) for _ in range(500)]
    assert tapered_bounds(sizes, 8, taper=0) == shard_bounds(sizes, 8)
    assert tapered_bounds([], 4) == []
    assert tapered_bounds([3], 4) == [(0, 1)]
    assert tapered_bounds([1, 1, 1], 8) == [(0, 1), (1, 2), (2, 3)]
