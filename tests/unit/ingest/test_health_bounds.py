"""Parse health stays small whatever the file holds: lists and file-named maps are capped,
and what does not fit is counted (issue 11 point 5: replies never rely on the payload limit)."""

from __future__ import annotations

import json

import msgspec

from convoscope_ingest.health import (
    MAX_FILES_LISTED,
    MAX_NAME_CHARS,
    MAX_SKIPPED_DETAILS,
    MAX_UNKNOWN_TYPES,
    OTHER_TYPES,
)
from convoscope_ingest.parsing import parse_export
from tests.zips import make_zip


def _conversation(index: int, blocks: list[dict[str, object]]) -> dict[str, object]:
    message = {"uuid": f"m{index}", "sender": "human", "content": blocks}
    return {"uuid": f"c{index}", "name": "t", "chat_messages": [message]}


def test_unknown_block_types_are_capped_and_the_rest_counted() -> None:
    blocks = [{"type": f"invented_type_{i}_" + "x" * 200} for i in range(1000)]
    parsed = parse_export(json.dumps([_conversation(0, blocks)]).encode())
    types = parsed.metadata.parse_health.unknown_block_types
    assert len(types) == MAX_UNKNOWN_TYPES + 1
    assert types[OTHER_TYPES] == 1000 - MAX_UNKNOWN_TYPES
    assert sum(types.values()) == 1000
    assert all(len(name) <= MAX_NAME_CHARS for name in types)
    # The names kept on the message are cut too.
    kept = parsed.corpus.conversations[0].messages[0].unknown_blocks
    assert all(len(name) <= MAX_NAME_CHARS for name in kept)


def test_skipped_details_are_capped_with_a_count_of_the_rest() -> None:
    items = [_conversation(i, []) for i in range(MAX_SKIPPED_DETAILS + 50)]
    items.append(_conversation(9999, [{"type": "text", "text": "kept"}]))
    health = parse_export(json.dumps(items).encode()).corpus.health
    assert len(health.skipped) == MAX_SKIPPED_DETAILS
    assert health.skipped_omitted == 50
    assert health.items_skipped == MAX_SKIPPED_DETAILS + 50


def test_files_read_are_capped_with_a_count_of_the_rest() -> None:
    members = {
        f"batch/conversations-{i:04d}.json": json.dumps(
            [_conversation(i, [{"type": "text", "text": "hi"}])]
        ).encode()
        for i in range(MAX_FILES_LISTED + 30)
    }
    parsed = parse_export(make_zip(members))
    health = parsed.metadata.parse_health
    assert len(health.files_read) == MAX_FILES_LISTED
    assert health.files_read_omitted == 30
    assert parsed.metadata.conversations == MAX_FILES_LISTED + 30


def test_the_whole_reply_stays_small_for_a_hostile_file() -> None:
    blocks = [{"type": f"t{i}" + "y" * 5000} for i in range(5000)]
    parsed = parse_export(json.dumps([_conversation(0, blocks)]).encode())
    assert len(msgspec.msgpack.encode(parsed.metadata)) < 16 * 1024
