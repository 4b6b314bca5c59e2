"""Splitting a corpus into shards: contiguous conversation ranges of similar message counts."""

from __future__ import annotations

from convoscope_common.corpus import Corpus


def shard_bounds(sizes: list[int], shards: int) -> list[tuple[int, int]]:
    """At most ``shards`` contiguous (start, end) ranges over items of ``sizes``, each
    holding about the same total size; every item lies in exactly one range."""
    if not sizes:
        return []
    shards = max(1, shards)
    total = sum(sizes)
    bounds: list[tuple[int, int]] = []
    start = acc = 0
    for i, size in enumerate(sizes):
        acc += size
        # Cut where the running total passes the next share of the whole.
        if len(bounds) < shards - 1 and acc * shards >= total * (len(bounds) + 1):
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(sizes):
        bounds.append((start, len(sizes)))
    return bounds


def corpus_shards(corpus: Corpus, shards: int) -> list[tuple[int, int]]:
    """Conversation ranges of ``corpus`` balanced by message count (an empty
    conversation weighs one, so many of them still spread)."""
    return shard_bounds([max(1, len(c.messages)) for c in corpus.conversations], shards)
