"""The message index kept encoded, from the shard that builds it to the stored results.

The index holds one record per message (60,000 on the incremental benchmark's export):
11 MB of msgpack, 28 MB as Python objects. The analysis reads none of it; only the
stored results' readers do (pages, drill-down, exports). So each shard or chunk encodes
its records in blocks as it builds them (:func:`encode_index`), partials and
collection pieces carry that encoding, and the merge joins the blocks
(:class:`JoinedIndex`) without decoding them. A service writes the joined blocks where
``encode_results`` writes the list (``ResultsStream``); in-process callers get the
records decoded (``merge_partials``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import msgspec

from convoscope_analyzer.msgpack_headers import array_header
from convoscope_common.results import AnalysisResults, MessageRecord

# Records encoded per block: a block's records are all that is ever held decoded while
# a shard encodes (about 0.5 MB), and each block is bytes of exactly its size (one
# growing buffer for a whole shard was half as large again as what it held).
BLOCK = 4096

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[MessageRecord])


class IndexBlockError(ValueError):
    """An encoded index block that is not a msgpack array."""


def encode_index(records: Iterable[MessageRecord]) -> list[msgspec.Raw]:
    """``records`` encoded as blocks (msgpack arrays) of up to :data:`BLOCK` of them,
    each encoded as soon as it is full: the records are never all held at once."""
    blocks: list[msgspec.Raw] = []
    batch: list[MessageRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == BLOCK:
            blocks.append(msgspec.Raw(_encoder.encode(batch)))
            batch.clear()
    if batch:
        blocks.append(msgspec.Raw(_encoder.encode(batch)))
    return blocks


def detached(blocks: list[msgspec.Raw]) -> list[msgspec.Raw]:
    """``blocks`` in bytes of their own: blocks decoded as part of a larger message (a
    partial, the collection's pieces) are views that keep all of that message alive."""
    return [block.copy() for block in blocks]


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


def settled(results: AnalysisResults, index: JoinedIndex, keep: bool) -> JoinedIndex | None:
    """Where a run's message index ends up: kept encoded beside ``results`` (returned;
    their list stays empty) when ``keep``, else decoded into ``results`` (None)."""
    if keep:
        return index
    results.message_index = index.records()
    return None
