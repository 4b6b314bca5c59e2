"""Ask again, a few times, when the bus refuses for a moment.

Used where a refusal is known to pass (a store still being removed, a cluster placing a
new consumer, two services provisioning at once) and nothing was done yet that could be
done twice. Anything else, and the last refusal, goes to the caller as it came.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def retrying(
    make: Callable[[], Awaitable[T]],
    *,
    passing: Callable[[Exception], bool],
    attempts: int,
    pause: float,
    growth: float = 1.0,
    on_retry: Callable[[int], None] | None = None,
) -> T:
    """``await make()``; when it raises an error ``passing`` accepts, wait ``pause``
    (multiplied by ``growth`` after each wait) and try again, up to ``attempts`` calls
    in all. ``on_retry(n)`` is called before the n-th new attempt (n ≥ 2)."""
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except Exception as exc:
            if attempt == attempts or not passing(exc):
                raise
        await asyncio.sleep(pause)
        pause *= growth
        if on_retry is not None:
            on_retry(attempt + 1)
    raise AssertionError("unreachable")  # the last attempt returns or raises
