"""How many cores the machine gives right now: the yardstick for "2 processes against 1".

A ratio of 2 analyzers against 1 can only reach what the machine lets two processes do
at once. On a shared host the second core is often busy elsewhere (seen here: two
CPU-bound processes running at 1.0-1.2x one's pace for an hour), and then no change to
ConvoScope shows as a speed-up. This measures that ceiling in the same run as the
figures it qualifies: the same pure-Python loop in one process, then in two at once.

    python bench/parallel_capacity.py
"""

from __future__ import annotations

import multiprocessing
import time

_LOOP = 8_000_000  # about 0.3 s on one core of this machine


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def parallel_capacity(rounds: int = 2) -> float:
    """Two processes' throughput over one's (2.0: two free cores; 1.0: one), best of
    ``rounds``."""
    context = multiprocessing.get_context("fork")
    best = 0.0
    with context.Pool(2) as pool:
        pool.map(_burn, [1000, 1000])  # both workers up before timing
        for _ in range(rounds):
            started = time.perf_counter()
            pool.apply(_burn, (_LOOP,))
            one = time.perf_counter() - started
            started = time.perf_counter()
            pool.map(_burn, [_LOOP, _LOOP], chunksize=1)
            two = time.perf_counter() - started
            best = max(best, 2 * one / two)
    return best


if __name__ == "__main__":
    ratio = parallel_capacity()
    print(f"two CPU-bound processes ran at {ratio:.2f}x one's pace (2.00: two free cores)")
