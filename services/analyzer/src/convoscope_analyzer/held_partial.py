"""A shard's partial held encoded by the coordinator until the merge.

A coordinator collects every shard's partial while the shards run (its own process
computing some of them). Decoded, the partials of a 94 MB export hold about 90 MB of
Python objects; encoded, 34 MB. So a partial is kept as its msgpack bytes, with only
what the driver reads before the merge decoded: its range and its topic rows (their
deferred learned-topic input is read by the topic models as the partials arrive, then
dropped). :func:`release` gives the :class:`~.engine.partial.ShardPartial` at the merge,
equal to decoding the bytes, with the topic rows as read meanwhile.
"""

from __future__ import annotations

import msgspec

from convoscope_analyzer.engine.encoded_index import detached
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.topics import TopicRows
from convoscope_common import collector


class _Head(msgspec.Struct, kw_only=True):
    """The fields of an encoded ShardPartial the driver reads early (others skipped)."""

    start: int
    end: int
    topics: TopicRows


_head_decoder = msgspec.msgpack.Decoder(_Head)
_partial_decoder = msgspec.msgpack.Decoder(ShardPartial)


class HeldPartial:
    """A partial's range and topic rows, decoded, and the whole partial, encoded."""

    __slots__ = ("data", "end", "start", "topics")

    def __init__(self, data: bytes) -> None:
        with collector.paused():
            head = _head_decoder.decode(data)
        self.start = head.start
        self.end = head.end
        self.topics = head.topics
        self.data = data


def release(part: ShardPartial | HeldPartial) -> ShardPartial:
    """The decoded partial (``part`` itself when it is one); a held one's topic rows are
    those read since it arrived. The held bytes are let go."""
    if isinstance(part, ShardPartial):
        return part
    with collector.paused():
        partial = _partial_decoder.decode(part.data)
    # Its message index blocks, views of the held bytes, get bytes of their own, so
    # those can go.
    partial.message_index = detached(partial.message_index)
    part.data = b""
    partial.topics = part.topics
    return partial
