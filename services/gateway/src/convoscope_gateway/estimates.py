"""``estimated_duration`` from measured throughput.

Analyzers record the size and time of every job they finish in the ``jobs`` bucket
(key ``_throughput``): one-lane time fitted as ``overhead + messages / rate``, and the
share of a sharded job that runs in its shards (``convoscope_common.throughput``). The
estimate applies that model to the file's message count and to the number of analyzer
processes the job will run on: one, or — for a job large enough to be sharded — as many
as have sent a heartbeat lately (at most one per shard).

A collection's analysis is never sharded: one lane. When the collection kept the pieces
of an earlier analysis, the job reuses them (incremental analysis), and its estimate is
the incremental model's over the whole corpus plus the messages added since at the
one-lane rate.
"""

from __future__ import annotations

import time

from convoscope_common.throughput import (
    INCREMENTAL_KEY,
    expected_lanes,
    incremental_prior,
    incremental_seconds,
    is_sharded,
    read_throughput,
)
from convoscope_gateway.state import Gateway

ANALYZER = "analyzer"
# An instance silent for this many heartbeat intervals is not counted as alive.
_MISSED_BEATS = 3


def live_analyzers(gw: Gateway, now: float | None = None) -> int:
    """Analyzer processes whose heartbeat this gateway heard lately (at least 1: the job
    will be run by some analyzer, even one not heard yet)."""
    horizon = (time.monotonic() if now is None else now) - (
        _MISSED_BEATS * gw.settings.heartbeat_interval
    )
    alive = sum(
        1
        for (service, _), seen in gw.instances_seen.items()
        if service == ANALYZER and seen >= horizon
    )
    return max(1, alive)


async def estimate_seconds(gw: Gateway, messages: int) -> float:
    """Seconds the analysis of ``messages`` messages is expected to take."""
    throughput = await read_throughput(gw.stores)
    settings = gw.settings
    minimum, shards = settings.shard_min_messages, settings.analysis_shards
    lanes = expected_lanes(messages, live_analyzers(gw), minimum, shards)
    sharded = is_sharded(messages, minimum, shards)
    return round(throughput.seconds_for(messages, lanes, sharded=sharded), 1)


async def estimate_collection_seconds(
    gw: Gateway, messages: int, previous_messages: int | None
) -> float:
    """Seconds a collection analysis of ``messages`` messages is expected to take: from
    scratch on one analyzer, or (``previous_messages``: the messages of the merge whose
    pieces it reuses) reusing them (the incremental model, or its prior until such a
    run was measured)."""
    full = await read_throughput(gw.stores)
    if previous_messages is None:
        return round(full.seconds_for(messages), 1)
    incremental = await read_throughput(gw.stores, INCREMENTAL_KEY)
    if not incremental.samples:
        incremental = incremental_prior(full)
    new = max(0, messages - previous_messages)
    return round(incremental_seconds(incremental, full, messages, new), 1)
