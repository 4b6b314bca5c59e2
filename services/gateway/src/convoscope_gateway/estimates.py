"""``estimated_duration`` from measured throughput.

Analyzers record the messages-per-second of every job they finish in the
``jobs`` bucket (key ``_throughput``); the estimate divides the file's message
count by that figure, plus a fixed allowance for start-up (loading the corpus).
"""

from __future__ import annotations

from convoscope_common.throughput import read_throughput
from convoscope_gateway.state import Gateway


async def estimate_seconds(gw: Gateway, messages: int) -> float:
    """Seconds the analysis of ``messages`` messages is expected to take."""
    throughput = await read_throughput(gw.stores)
    return round(throughput.overhead_seconds + messages / throughput.messages_per_second, 1)
