"""The conversation ranges of a sharded job: contiguous, by message count, the first
ones larger and the last ones smaller.

Replicas take a stage's shards in order, one at a time, and the stage ends with its
slowest last shard: with equal shards, one replica idles for up to a whole shard while
the other finishes (the coordinator's own slot is the slower one: it shares its process
with the redaction replay, the dispatch and the reads). Shards that shrink towards the
end (guided scheduling) keep that tail short; in the detection stage they also leave
less to replay after the last shard, since ranges are redacted in corpus order. Any
bounds give the same results (the merge does not depend on them), only sooner.
"""

from __future__ import annotations

# The first shard's share of the stage over the last one's is (1 + TAPER) / (1 - TAPER);
# shares fall linearly in between.
TAPER = 0.4


def tapered_bounds(sizes: list[int], shards: int, taper: float = TAPER) -> list[tuple[int, int]]:
    """At most ``shards`` contiguous (start, end) ranges over items of ``sizes``, every
    item in exactly one range, their totals falling linearly from ``1 + taper`` to
    ``1 - taper`` times the mean (``taper`` 0: equal ranges)."""
    if not sizes:
        return []
    shards = max(1, shards)
    if shards == 1:
        return [(0, len(sizes))]
    weights = [1 + taper * (1 - 2 * i / (shards - 1)) for i in range(shards)]
    scale = sum(sizes) / sum(weights)
    bounds: list[tuple[int, int]] = []
    start = acc = 0
    target = weights[0] * scale
    for i, size in enumerate(sizes):
        acc += size
        # Cut where the running total passes the end of the next range's share.
        if len(bounds) < shards - 1 and acc >= target:
            bounds.append((start, i + 1))
            start = i + 1
            target += weights[len(bounds)] * scale
    if start < len(sizes):
        bounds.append((start, len(sizes)))
    return bounds
