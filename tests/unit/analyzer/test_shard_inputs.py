"""Detect shards' inputs cut from the job's stored corpus (``shard_inputs.CorpusShare``):
the same bytes a written range input held; the coordinator's lent corpus is used
without a read; another replica reads the stored corpus once for all its shards and
lets go of it once idle."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.shard_corpus import EncodedShards
from convoscope_analyzer.shard_inputs import CorpusShare
from convoscope_common.corpus import encode_corpus
from convoscope_common.storage import ObjectMissingError
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator


class _Store:
    """``Stores`` with one object store of encoded corpora, counting its reads."""

    corpora = "corpora"

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.reads: list[str] = []

    async def read_object(self, store: str, name: str) -> bytearray:
        assert store == "corpora"
        self.reads.append(name)
        if name not in self.objects:
            raise ObjectMissingError(name)
        return bytearray(self.objects[name])


@pytest.fixture(scope="module")
def blob() -> bytes:
    export = load_generator().generate_claude_export(12, seed=3)
    return encode_corpus(parse_export(export).corpus)


def _share(objects: dict[str, bytes], idle: float = 60.0) -> tuple[CorpusShare, _Store]:
    store = _Store(objects)
    return CorpusShare(cast(Any, store), idle_seconds=idle), store


async def test_a_range_is_the_input_the_coordinator_would_have_written(blob: bytes) -> None:
    share, store = _share({"c": blob})
    written = RawCorpus.load(blob)  # what BusShards cut and wrote per range
    for start, end in [(0, 4), (4, 9), (9, 12)]:
        got = await share.encoded_range("c", start, end)
        assert got == written.encode(start, end, projects=False)
    assert store.reads == ["c"]  # read once for every shard of the corpus
    assert share.reads == 1


async def test_the_coordinators_lent_corpus_is_cut_without_a_read(blob: bytes) -> None:
    share, store = _share({"c": blob})
    raw = RawCorpus.load(blob)
    with share.lend("c", raw):
        got = await share.encoded_range("c", 2, 5)
    assert got == RawCorpus.load(blob).encode(2, 5, projects=False)
    assert store.reads == []
    # Lent no more: the stored corpus is read.
    await share.encoded_range("c", 2, 5)
    assert store.reads == ["c"]


async def test_a_range_the_coordinator_let_go_of_is_read_from_the_store(blob: bytes) -> None:
    share, store = _share({"c": blob})
    access = EncodedShards(RawCorpus.load(blob))
    access.hold([(0, 6), (6, 12)])
    access.forget(0, 6)  # redacted: the coordinator no longer holds the original
    with share.lend("c", access.corpus):
        assert await share.encoded_range("c", 6, 9) is not None
        assert store.reads == []
        got = await share.encoded_range("c", 0, 6)  # a shard delivered again
        assert store.reads == ["c"]
        access.release()
        assert await share.encoded_range("c", 6, 9) == RawCorpus.load(blob).encode(
            6, 9, projects=False
        )
    assert got == RawCorpus.load(blob).encode(0, 6, projects=False)


async def test_read_corpora_go_once_idle_or_least_recently_used(blob: bytes) -> None:
    other = encode_corpus(parse_export(load_generator().generate_claude_export(5, seed=9)).corpus)
    share, store = _share({"c": blob, "d": other, "e": other}, idle=1.0)
    # Two jobs' shards interleaved: both corpora kept.
    for _ in range(2):
        await share.encoded_range("c", 0, 2)
        await share.encoded_range("d", 0, 2)
    assert store.reads == ["c", "d"]
    await share.encoded_range("e", 0, 2)  # a third: the least recently used (c) goes
    await share.encoded_range("d", 0, 1)
    await share.encoded_range("c", 0, 1)
    assert store.reads == ["c", "d", "e", "c"]
    await asyncio.sleep(0.5)
    await share.encoded_range("c", 2, 3)  # used again: kept
    await asyncio.sleep(0.7)  # d idle (1.2 s), c not yet (0.7 s)
    await share.encoded_range("c", 0, 1)
    assert store.reads == ["c", "d", "e", "c"]
    await share.encoded_range("d", 0, 1)
    assert store.reads == ["c", "d", "e", "c", "d"]
    await asyncio.sleep(1.6)  # all idle
    await share.encoded_range("c", 0, 1)
    assert store.reads == ["c", "d", "e", "c", "d", "c"]
    share.close()


async def test_a_missing_corpus_or_range_is_an_error(blob: bytes) -> None:
    share, _ = _share({"c": blob})
    with pytest.raises(ObjectMissingError):
        await share.encoded_range("gone", 0, 1)
    with pytest.raises(ValueError, match="no conversations"):
        await share.encoded_range("c", 10, 40)
