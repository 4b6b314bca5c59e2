"""``estimated_duration`` from measured throughput.

Analyzers record the size and time of every job they finish in the ``jobs`` bucket
(key ``_throughput``) and fit ``overhead + messages / rate`` over the newest jobs;
the estimate applies that model to the file's message count.
"""

from __future__ import annotations

from convoscope_common.throughput import read_throughput
from convoscope_gateway.state import Gateway


async def estimate_seconds(gw: Gateway, messages: int) -> float:
    """Seconds the analysis of ``messages`` messages is expected to take."""
    throughput = await read_throughput(gw.stores)
    return round(throughput.seconds_for(messages), 1)
