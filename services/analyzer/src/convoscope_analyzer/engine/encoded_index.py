"""The message index kept encoded, from the shard that builds it to the stored results.

The index holds one record per message (60,000 on the incremental benchmark's export):
11 MB of msgpack, 28 MB as Python objects. The analysis reads none of it; only the
stored results' readers do (pages, drill-down, exports). So each shard or chunk encodes
its records as soon as it has built them (:func:`encode_index`), partials and
collection pieces carry that encoding, and the merge joins the blocks
(:class:`JoinedIndex`) without decoding them. A service writes the joined blocks where
``encode_results`` writes the list (``ResultsStream``); in-process callers get the
records decoded (``merge_partials``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import msgspec

from convoscope_analyzer.msgpack_headers import array_header
from convoscope_common.results import MessageRecord

# An encoded empty list: the index of a partial with no messages.
EMPTY_INDEX = msgspec.Raw(b"\x90")

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[MessageRecord])


class IndexBlockError(ValueError):
    """An encoded index block that is not a msgpack array."""


def encode_index(records: list[MessageRecord]) -> msgspec.Raw:
    """``records`` encoded as one block (a msgpack array)."""
    return msgspec.Raw(_encoder.encode(records))


def detached(block: msgspec.Raw) -> msgspec.Raw:
    """``block`` in bytes of its own: a block decoded as part of a larger message (a
    partial, the collection's pieces) is a view that keeps all of that message alive."""
    return block.copy()


def _array(block: msgspec.Raw) -> tuple[int, int]:
    """(items, header length) of an encoded msgpack array."""
    view = memoryview(block)
    if not view:
        raise IndexBlockError("an index block is empty")
    first = view[0]
    if 0x90 <= first <= 0x9F:
        return first & 0x0F, 1
    if first == 0xDC and len(view) >= 3:
        return int.from_bytes(view[1:3], "big"), 3
    if first == 0xDD and len(view) >= 5:
        return int.from_bytes(view[1:5], "big"), 5
    raise IndexBlockError("an index block is not a msgpack array")


class JoinedIndex:
    """Blocks of the message index, in corpus order, joined into one list without
    decoding them: ``count`` records, written by :meth:`pieces`."""

    def __init__(self, blocks: Sequence[msgspec.Raw]) -> None:
        self._items: list[memoryview] = []  # each block without its array header
        self.count = 0
        for block in blocks:
            n, header = _array(block)
            if n:
                self.count += n
                self._items.append(memoryview(block)[header:])

    def pieces(self) -> Iterator[bytes | memoryview]:
        """The encoding of the joined list, in pieces: its header, then each block's
        records as they are (byte for byte ``encode(records())``)."""
        yield array_header(self.count)
        yield from self._items

    def records(self) -> list[MessageRecord]:
        """The records, decoded."""
        return _decoder.decode(b"".join(self.pieces()))
