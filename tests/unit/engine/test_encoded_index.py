"""The message index joined from encoded blocks is the list encoded whole, byte for byte,
whatever the blocks' sizes (msgpack's three array headers)."""

from __future__ import annotations

import msgspec
import pytest

from convoscope_analyzer.engine.encoded_index import (
    BLOCK,
    IndexBlockError,
    JoinedIndex,
    detached,
    encode_index,
)
from convoscope_common.results import MessageRecord


def _records(n: int, start: int = 0) -> list[MessageRecord]:
    return [
        MessageRecord(
            conversation_id=f"c{(start + i) // 7}",
            message_id=f"m{start + i}",
            role="user" if i % 2 else "assistant",
            date="2026-12-02" if i % 3 else None,
            weekday=i % 7,
            hour=i % 24,
            words=i,
            characters=3 * i,
            language="en" if i % 5 else "de",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "sizes",
    [[], [0], [3], [15, 1], [16], [0, 5, 0, 20], [70_000], [65_535, 1], [40_000, 30_000, 0]],
)
def test_joined_blocks_are_the_whole_list_encoded(sizes: list[int]) -> None:
    blocks, everything, at = [], [], 0
    for n in sizes:
        records = _records(n, at)
        blocks += encode_index(iter(records)) if n else [msgspec.Raw(b"\x90")]
        everything += records
        at += n
    joined = JoinedIndex(blocks)
    assert joined.count == len(everything)
    assert b"".join(joined.pieces()) == msgspec.msgpack.encode(everything)
    assert joined.records() == everything


def test_a_block_decoded_inside_a_larger_message_is_detached() -> None:
    class Holder(msgspec.Struct):
        index: list[msgspec.Raw]
        tail: bytes

    data = msgspec.msgpack.encode(Holder(encode_index(_records(4)), b"x" * 1000))
    view = msgspec.msgpack.decode(data, type=Holder).index
    own = detached(view)
    assert own == view and JoinedIndex(own).records() == _records(4)


@pytest.mark.parametrize("block", [b"", b"\x80", b"\xa3abc", b"\xdc\x00"])
def test_a_block_that_is_no_array_is_refused(block: bytes) -> None:
    with pytest.raises(IndexBlockError):
        JoinedIndex([msgspec.Raw(block)])


def test_records_are_encoded_in_blocks_as_they_come() -> None:
    records = _records(2 * BLOCK + 5)
    blocks = encode_index(iter(records))
    assert [len(msgspec.msgpack.decode(b)) for b in blocks] == [BLOCK, BLOCK, 5]
    assert JoinedIndex(blocks).records() == records
    assert encode_index(iter([])) == []
