"""The linear object path (convoscope_common.objects) against a real nats-server."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable
from pathlib import Path

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig
from nats.js.errors import ServiceUnavailableError
from nats.js.object_store import ObjectStore

from convoscope_common import objects
from convoscope_common.objects import (
    CHUNK_SIZE,
    ObjectMissingError,
    ObjectReadError,
    chunk_size_for,
    object_chunks,
    object_info,
    read_object,
    write_object,
)
from convoscope_stack.nats_server import NatsServer

pytestmark = pytest.mark.integration


async def _store(js: JetStreamContext, bucket: str, max_bytes: int = -1):  # type: ignore[no-untyped-def]
    try:
        await js.delete_object_store(bucket)
    except Exception:  # not there yet
        pass
    return await js.create_object_store(
        bucket, config=ObjectStoreConfig(bucket=bucket, max_bytes=max_bytes)
    )


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * 1024 * 1024 + 17]
)
async def test_round_trip_and_compatible_with_nats_py(js: JetStreamContext, size: int) -> None:
    store = await _store(js, "test-objects")
    data = os.urandom(size)
    await write_object(store, "mine", data)
    assert await read_object(store, "mine") == data
    # Each read's ephemeral consumer is gone afterwards.
    assert (await js.stream_info("OBJ_test-objects")).state.consumer_count == 0
    # nats-py's own reader accepts what we wrote (same layout, digest and size) ...
    assert (await store.get("mine")).data == data
    # ... and we read what nats-py wrote.
    await store.put("theirs", data)
    assert await read_object(store, "theirs") == data
    info = await object_info(store, "mine")
    assert info.size == size


async def test_a_file_is_written_in_chunks(js: JetStreamContext) -> None:
    store = await _store(js, "test-objects")
    data = os.urandom(5 * CHUNK_SIZE + 3)
    await write_object(store, "file", io.BytesIO(data))
    assert await read_object(store, "file") == data
    chunks = [chunk async for chunk in object_chunks(store, "file")]
    assert [len(c) for c in chunks] == [CHUNK_SIZE] * 5 + [3]


async def test_a_rewrite_replaces_the_old_chunks(js: JetStreamContext) -> None:
    store = await _store(js, "test-objects")
    await write_object(store, "name", b"a" * (2 * CHUNK_SIZE))
    await write_object(store, "name", b"b" * 10)
    assert await read_object(store, "name") == b"b" * 10
    status = await js.stream_info(f"OBJ_{store._name}")
    # One chunk and one metadata record: the old version's two chunks were purged.
    assert status.state.messages == 2


async def test_missing_object(js: JetStreamContext) -> None:
    store = await _store(js, "test-objects")
    with pytest.raises(ObjectMissingError):
        await read_object(store, "nothing")
    await write_object(store, "gone", b"x")
    await store.delete("gone")
    with pytest.raises(ObjectMissingError):
        await read_object(store, "gone")


async def test_reader_of_a_purged_version_fails_fast_instead_of_hanging(
    js: JetStreamContext,
) -> None:
    store = await _store(js, "test-objects")
    await write_object(store, "name", os.urandom(4 * CHUNK_SIZE))
    old = await object_info(store, "name")
    await write_object(store, "name", b"new")  # purges the old version's chunks
    with pytest.raises(ObjectReadError):
        async with asyncio.timeout(10):
            async for _ in object_chunks(store, "name", info=old, chunk_timeout=0.5):
                pass


async def test_a_reader_whose_version_is_rewritten_reads_the_new_one(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-uploading the same bytes while ingest reads them (issue 11): the reader's
    version is purged under it. Before: the read failed (ingest answered 503)."""
    store = await _store(js, "test-objects")
    data = os.urandom(4 * CHUNK_SIZE)
    await write_object(store, "name", data)
    old = await object_info(store, "name")
    await write_object(store, "name", data)  # the re-upload: same bytes, new version
    real_info = objects.object_info
    calls = {"n": 0}

    async def info_then_rewritten(store: object, name: str) -> object:
        calls["n"] += 1  # the reader looked the object up just before the rewrite
        return old if calls["n"] == 1 else await real_info(store, name)  # type: ignore[arg-type]

    monkeypatch.setattr(objects, "object_info", info_then_rewritten)
    async with asyncio.timeout(20):
        assert await read_object(store, "name", chunk_timeout=0.5) == data
    assert calls["n"] == 2


async def test_a_full_store_leaves_no_half_written_object(js: JetStreamContext) -> None:
    store = await _store(js, "test-small", max_bytes=2 * CHUNK_SIZE)
    with pytest.raises(Exception):  # noqa: B017 - JetStream's "maximum bytes exceeded"
        await write_object(store, "big", os.urandom(8 * CHUNK_SIZE))
    with pytest.raises(ObjectMissingError):
        await object_info(store, "big")
    status = await js.stream_info(f"OBJ_{store._name}")
    assert status.state.messages == 0
    # The store still works for what fits.
    await write_object(store, "small", b"fits")
    assert await read_object(store, "small") == b"fits"


async def test_a_reader_asks_again_when_its_consumer_is_refused_for_a_moment(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clustered JetStream can answer 503 to a consumer create for a moment (CI: an
    upload read right after provisioning three servers answered "store unavailable"):
    the reader asks again before anything was read; a store that keeps refusing still
    gets its error to the caller, after a bounded number of attempts."""
    store = await _store(js, "test-objects")
    data = os.urandom(3 * CHUNK_SIZE + 5)
    await write_object(store, "name", data)
    monkeypatch.setattr(objects, "_REFUSED_PAUSE", 0.01)
    real = store._js.pull_subscribe
    calls: list[int] = []

    async def refused_twice(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) <= 2:
            raise ServiceUnavailableError()
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store._js, "pull_subscribe", refused_twice)
    assert await read_object(store, "name") == data
    assert len(calls) == 3

    async def always_refused(*args: object, **kwargs: object) -> object:
        calls.append(1)
        raise ServiceUnavailableError()

    calls.clear()
    monkeypatch.setattr(store._js, "pull_subscribe", always_refused)
    with pytest.raises(ServiceUnavailableError):
        await read_object(store, "name")
    assert len(calls) == objects._REFUSED_ATTEMPTS


def _before_each_fetch(
    monkeypatch: pytest.MonkeyPatch, store: ObjectStore, hook: Callable[[int], object]
) -> None:
    """Call ``hook(batch)`` before every fetch of the store's readers (it may raise, as
    the server would)."""
    real = store._js.pull_subscribe

    async def subscribe(*args: object, **kwargs: object) -> object:
        subscription = await real(*args, **kwargs)  # type: ignore[arg-type]
        fetch = subscription.fetch

        async def hooked(batch: int = 1, **options: object) -> object:
            hook(batch)
            return await fetch(batch, **options)  # type: ignore[arg-type]

        subscription.fetch = hooked
        return subscription

    monkeypatch.setattr(store._js, "pull_subscribe", subscribe)


async def test_objects_written_in_small_chunks_read_in_several_fetches(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object written in nats-py's 128 KiB chunks (older objects, other clients) is
    read whole: the batch per fetch follows the object's own chunk size."""
    store = await _store(js, "test-objects")
    data = os.urandom(40 * 128 * 1024 + 9)
    await store.put("theirs", data)  # nats-py: 128 KiB chunks, 41 of them
    assert (await object_info(store, "theirs")).chunks == 41
    monkeypatch.setattr(objects, "READ_BATCH_BYTES", 16 * 128 * 1024)  # three fetches
    fetched: list[int] = []
    _before_each_fetch(monkeypatch, store, fetched.append)
    assert await read_object(store, "theirs") == data
    assert fetched == [16, 16, 9]


async def test_chunks_follow_a_server_whose_max_payload_is_smaller(tmp_path: Path) -> None:
    """A server configured with a max_payload below CHUNK_SIZE would refuse every chunk
    of that size: writes use the server's limit instead, and read back whole."""
    config = tmp_path / "nats.conf"
    config.write_text("max_payload: 262144\n")
    server = NatsServer(store_dir=tmp_path / "store", config_file=config)
    server.start()
    try:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            assert chunk_size_for(js) == 262144 < CHUNK_SIZE
            store = await _store(js, "test-small-payload")
            data = os.urandom(3 * 262144 + 11)
            info = await write_object(store, "name", data)
            assert info.chunks == 4
            assert [len(c) async for c in object_chunks(store, "name")] == [262144] * 3 + [11]
            assert await read_object(store, "name") == data
            assert (await store.get("name")).data == data  # nats-py reads it too
        finally:
            await nc.close()
    finally:
        server.stop()


async def test_a_fetch_refused_for_a_moment_is_asked_again(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clustered JetStream can answer a new consumer's first fetch with 503 (CI: an
    upload's read right after provisioning three servers failed in 15 ms with
    "store unavailable"): a fetch that got no responder delivered nothing and is asked
    again; one that keeps failing gets its error to the caller."""
    store = await _store(js, "test-objects")
    data = os.urandom(2 * CHUNK_SIZE + 5)
    await write_object(store, "name", data)
    monkeypatch.setattr(objects, "_REFUSED_PAUSE", 0.01)
    refusals = {"left": 2}
    fetches: list[int] = []

    def refused(batch: int) -> None:
        fetches.append(batch)
        if refusals["left"] > 0:
            refusals["left"] -= 1
            raise ServiceUnavailableError()

    _before_each_fetch(monkeypatch, store, refused)
    assert await read_object(store, "name") == data
    assert len(fetches) == 3
    refusals["left"] = 100
    fetches.clear()
    with pytest.raises(ServiceUnavailableError):
        await read_object(store, "name")
    assert len(fetches) == objects._REFUSED_ATTEMPTS
