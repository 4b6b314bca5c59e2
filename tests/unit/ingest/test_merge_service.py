"""Ingest answers a merge request with the merged corpus, stored like an upload's, or a
typed error (an expired member, a store that fails, a garbled request); a collection that
grows by an export is merged from its stored merged corpus and the new export."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from convoscope_common.collection_types import MergeMember, MergeOk, MergeRequest
from convoscope_common.config import Settings
from convoscope_common.corpus import decode_corpus, encode_corpus
from convoscope_common.objects import ObjectReadError
from convoscope_common.storage import ObjectMissingError
from convoscope_common.wire import ParseFailed, encode
from convoscope_ingest.merge_service import MergeHandler, merged_hash, merged_object_name
from convoscope_ingest.parsing import parse_export
from convoscope_ingest.service import IngestService

DATA = Path(__file__).resolve().parents[2] / "data" / "collections"


class _Stores:
    def __init__(self, objects: dict[str, bytes], *, write_fails: bool = False) -> None:
        self.corpora = object()
        self.objects = objects
        self.written: dict[str, bytes] = {}
        self.read: list[str] = []
        self.write_fails = write_fails

    async def read_object(self, store: object, name: str) -> bytes:
        self.read.append(name)
        if name not in self.objects:
            raise ObjectMissingError(name)
        return self.objects[name]

    async def object_info(self, store: object, name: str) -> SimpleNamespace:
        if name not in self.objects:
            raise ObjectMissingError(name)
        return SimpleNamespace(size=len(self.objects[name]))

    async def object_exists(self, store: object, name: str) -> bool:
        return name in self.objects

    async def write_object(self, store: object, name: str, data: bytes) -> None:
        if self.write_fails:
            raise ConnectionError("store down")
        self.written[name] = self.objects[name] = data


def _handler(stores: _Stores) -> MergeHandler:
    ctx: Any = SimpleNamespace(settings=Settings())
    return MergeHandler(IngestService(ctx, stores))  # type: ignore[arg-type]


def _members(names: tuple[str, ...]) -> tuple[list[MergeMember], dict[str, bytes]]:
    members, objects = [], {}
    for name in names:
        corpus = parse_export((DATA / f"{name}.json").read_bytes()).corpus
        objects[f"{name}.v2"] = encode_corpus(corpus)
        members.append(
            MergeMember(file_id=name, file_hash=f"sha256:{name}", corpus_object=f"{name}.v2")
        )
    return members, objects


async def test_the_merged_corpus_is_stored_under_a_name_of_its_members() -> None:
    members, objects = _members(("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b"))
    stores = _Stores(objects)
    reply = await _handler(stores).merge(
        encode(MergeRequest(collection_id="col_1", members=members))
    )
    assert isinstance(reply, MergeOk)
    assert reply.file_hash == merged_hash(members)
    assert reply.corpus_object == merged_object_name(reply.file_hash)
    merged = decode_corpus(stores.written[reply.corpus_object])
    assert len(merged.conversations) == 6
    assert reply.metadata.conversations == 6 and reply.metadata.messages == 16
    assert reply.metadata.parse_health.duplicates_merged == 3
    assert reply.metadata.source == "chatgpt+claude"
    # Another upload order is another merge (the tie-break differs).
    assert merged_hash(members[::-1]) != reply.file_hash


@pytest.mark.parametrize(
    ("payload", "code", "status"),
    [
        (b"\x00garbled", "bad_request", 400),
        (encode(MergeRequest(collection_id="c", members=[])), "empty_collection", 422),
    ],
)
async def test_bad_requests_get_typed_errors(payload: bytes, code: str, status: int) -> None:
    reply = await _handler(_Stores({})).merge(payload)
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == (code, status)


async def test_an_expired_member_and_a_failing_store_are_typed_errors() -> None:
    members, objects = _members(("claude_jan", "chatgpt_a"))
    request = encode(MergeRequest(collection_id="c", members=members))
    del objects["chatgpt_a.v2"]
    reply = await _handler(_Stores(objects)).merge(request)
    assert isinstance(reply, ParseFailed) and reply.error.status == 410
    assert "chatgpt_a" in reply.error.message
    members, objects = _members(("claude_jan",))
    request = encode(MergeRequest(collection_id="c", members=members))
    reply = await _handler(_Stores(objects, write_fails=True)).merge(request)
    assert isinstance(reply, ParseFailed) and reply.error.status == 503


async def _merged(stores: _Stores, members: list[MergeMember]) -> MergeOk:
    reply = await _handler(stores).merge(
        encode(MergeRequest(collection_id="col_1", members=members))
    )
    assert isinstance(reply, MergeOk)
    return reply


async def test_a_collection_grown_by_an_export_is_merged_from_its_merged_corpus() -> None:
    members, objects = _members(("claude_jan", "chatgpt_a", "claude_mar", "chatgpt_b"))
    scratch = _Stores(dict(objects))
    expected = await _merged(scratch, members)
    stores = _Stores(objects)
    await _merged(stores, members[:2])
    await _merged(stores, members[:3])  # from the merged corpus of the first two
    assert stores.read[-2:] == [merged_object_name(merged_hash(members[:2])), "claude_mar.v2"]
    stores.read.clear()
    reply = await _merged(stores, members)
    assert stores.read == [merged_object_name(merged_hash(members[:3])), "chatgpt_b.v2"]
    # The same corpus, metadata (the exports' sizes included) and name as merging all four.
    assert reply == expected
    assert stores.written[reply.corpus_object] == scratch.written[expected.corpus_object]
    # The same members again: only the stored corpus is read; it is written again (its
    # age in the store starts anew, as the record made for it does).
    stores.read.clear()
    stores.written.clear()
    assert await _merged(stores, members) == expected
    assert stores.read == [expected.corpus_object]
    assert stores.written == {expected.corpus_object: scratch.written[expected.corpus_object]}


async def test_a_merged_corpus_does_not_outlive_its_exports() -> None:
    members, objects = _members(("claude_jan", "chatgpt_a", "claude_mar"))
    stores = _Stores(objects)
    await _merged(stores, members[:2])
    del objects["claude_jan.v2"]  # expired, though the merged corpus is still there
    reply = await _handler(stores).merge(
        encode(MergeRequest(collection_id="col_1", members=members))
    )
    assert isinstance(reply, ParseFailed) and reply.error.status == 410
    assert "claude_jan" in reply.error.message


@pytest.mark.parametrize("how", ["deleted after the look", "purged while read"])
async def test_a_merged_corpus_gone_before_it_is_read_means_every_export_is_read(
    how: str,
) -> None:
    members, objects = _members(("claude_jan", "chatgpt_a", "claude_mar"))
    expected = await _merged(_Stores(dict(objects)), members)
    stores = _Stores(objects)
    await _merged(stores, members[:2])
    prefix = merged_object_name(merged_hash(members[:2]))
    looked, read = stores.object_exists, stores.read_object

    async def gone_after_the_look(store: object, name: str) -> bool:
        found = await looked(store, name)
        if found:
            del objects[name]
        return found

    async def purged_while_read(store: object, name: str) -> bytes:
        if name == prefix:
            raise ObjectReadError(f"{name}: a chunk did not come")
        return await read(store, name)

    if how == "deleted after the look":
        stores.object_exists = gone_after_the_look  # type: ignore[method-assign]
    else:
        stores.read_object = purged_while_read  # type: ignore[method-assign]
    stores.read.clear()
    assert await _merged(stores, members) == expected
    assert stores.read[-3:] == ["claude_jan.v2", "chatgpt_a.v2", "claude_mar.v2"]
