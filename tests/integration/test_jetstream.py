"""JetStream resources, the result cache and expiry against a real nats-server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.cache import (
    USE_RECORD_INTERVAL,
    cache_size,
    delete_results,
    evict_lru,
    has_results,
    load_results,
    record_use,
)
from convoscope_common.config import Settings
from convoscope_common.provisioning import provision
from convoscope_common.records import ResultIndex
from convoscope_common.results import AnalysisResults, Summary, encode_results
from convoscope_common.storage import Stores, kv_keys
from convoscope_common.throughput import read_throughput, record_throughput

pytestmark = pytest.mark.integration


async def test_provisioning_is_idempotent_and_applies_changed_settings(
    js: JetStreamContext,
) -> None:
    await provision(js, Settings())
    await provision(js, Settings())  # a second service starting finds everything
    stream = await js.stream_info(names.JOBS_STREAM)
    assert stream.config.retention == "workqueue"
    consumers = {c.name for c in await js.consumers_info(names.JOBS_STREAM)}
    assert consumers == {
        "analyzer-high",
        "analyzer-normal",
        "analyzer-low",
        "analyzer-shard",
        "exporter",
    }
    await provision(js, Settings(upload_ttl=7200.0, ack_wait=12.0))
    uploads = await js.stream_info("OBJ_uploads")
    assert uploads.config.max_age == 7200.0
    analyzer = await js.consumer_info(names.JOBS_STREAM, "analyzer-normal")
    assert analyzer.config.ack_wait == 12.0


@pytest.mark.parametrize(
    ("settings", "store"),
    [
        (Settings(upload_ttl=1.0), "uploads"),
        (Settings(upload_ttl=1.0), "corpora"),
        (Settings(export_ttl=1.0), "exports_data"),
        # Result objects of a worker that died before writing their index: nothing
        # else would ever delete them (before: results-data had no TTL).
        (Settings(result_ttl=1.0), "results_data"),
    ],
)
async def test_uploads_and_exports_expire_after_their_ttl_without_any_cron(
    js: JetStreamContext, settings: Settings, store: str
) -> None:
    await provision(js, settings)
    stores = await Stores.open(js)
    bucket = getattr(stores, store)
    await bucket.put("abc", b"raw export bytes")
    assert await stores.object_exists(bucket, "abc")
    for _ in range(60):  # JetStream's max_age removes it; poll for up to 15 s
        if not await stores.object_exists(bucket, "abc"):
            break
        await asyncio.sleep(0.25)
    assert not await stores.object_exists(bucket, "abc")


async def test_estimated_duration_follows_measured_throughput(js: JetStreamContext) -> None:
    from types import SimpleNamespace

    from convoscope_gateway.estimates import estimate_seconds

    await provision(js, Settings())
    stores = await Stores.open(js)
    gateway = SimpleNamespace(stores=stores, settings=Settings(), instances_seen={})
    before = await estimate_seconds(gateway, 10_000)  # type: ignore[arg-type]
    await record_throughput(stores, messages=10_000, seconds=20.0)  # a slow machine
    slow = await estimate_seconds(gateway, 10_000)  # type: ignore[arg-type]
    assert slow == pytest.approx(2.0 + 20.0)
    assert slow > before
    assert await estimate_seconds(gateway, 20_000) == pytest.approx(2.0 + 40.0)  # type: ignore[arg-type]


async def _cache_entry(stores: Stores, key: str, size_bytes: int, accessed: datetime) -> None:
    blob = encode_results(AnalysisResults(summary=Summary(conversations=size_bytes)))
    await stores.results_data.put(key, blob)
    await stores.put_result_index(
        ResultIndex(
            cache_key=key,
            results_object=key,
            size=size_bytes,
            file_hash="sha256:" + key[:4],
            engine_version="test",
            created_at=accessed,
            last_access=accessed,
        )
    )


async def test_cache_evicts_least_recently_used_until_it_fits(js: JetStreamContext) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    now = datetime.now(UTC)
    await _cache_entry(stores, "aaaa.1", 400, now - timedelta(hours=3))
    await _cache_entry(stores, "bbbb.1", 400, now - timedelta(hours=1))
    await _cache_entry(stores, "cccc.1", 400, now - timedelta(hours=2))
    assert await cache_size(stores) == 1200
    # Reading an entry makes it recently used.
    assert (await load_results(stores, "aaaa.1")) is not None
    evicted = await evict_lru(stores, max_size=500, keep="bbbb.1")
    assert evicted == ["cccc.1", "aaaa.1"]
    assert await cache_size(stores) == 400
    assert not await stores.object_exists(stores.results_data, "cccc.1")
    assert await has_results(stores, "sha256:bbbb")
    assert not await has_results(stores, "sha256:aaaa")


async def test_the_cache_lists_every_entry_from_the_stream_not_a_watcher(
    js: JetStreamContext,
) -> None:
    """``kv_keys`` reads the stream's subjects: every key written, deleted ones too (a
    read says they are gone), so ``all_indexes`` never sees a full cache as empty (nats-py's
    ``keys()`` watcher did, now and then, under load)."""
    await provision(js, Settings())
    stores = await Stores.open(js)
    assert await kv_keys(stores.results) == []
    assert await cache_size(stores) == 0
    now = datetime.now(UTC)
    keys = [f"k{i:03d}.1" for i in range(60)]
    for key in keys:
        await _cache_entry(stores, key, 10, now)
    await delete_results(stores, "k007.1")
    assert sorted(await kv_keys(stores.results)) == keys
    for _ in range(20):  # listed at once after the writes, again and again
        assert await cache_size(stores) == 590


async def test_a_recorded_use_never_brings_back_a_deleted_entry(js: JetStreamContext) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    now = datetime.now(UTC)
    await _cache_entry(stores, "dddd.1", 100, now - timedelta(hours=1))
    entry = await stores.result_index_entry("dddd.1")
    assert entry is not None
    # Used within the interval: nothing to write.
    soon = entry[0].last_access + timedelta(seconds=1)
    assert not await record_use(stores, entry[0], entry[1], soon)
    # Evicted between the read and the recorded use: the entry stays gone.
    await delete_results(stores, "dddd.1")
    assert not await record_use(stores, entry[0], entry[1], now)
    assert await stores.get_result_index("dddd.1") is None
    # Rewritten meanwhile (a re-run): the newer entry is kept as it is.
    await _cache_entry(stores, "dddd.1", 100, now - timedelta(hours=2))
    newer = await stores.result_index_entry("dddd.1")
    assert newer is not None
    assert not await record_use(stores, entry[0], entry[1], now)
    assert await stores.result_index_entry("dddd.1") == newer
    assert await record_use(stores, newer[0], newer[1], now + USE_RECORD_INTERVAL)


async def test_measured_throughput_replaces_the_prior(js: JetStreamContext) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    prior = await read_throughput(stores)
    assert prior.samples == 0
    await record_throughput(stores, messages=10_000, seconds=4.0)
    measured = await read_throughput(stores)
    assert measured.samples == 1
    assert measured.messages_per_second == 2500.0
    await record_throughput(stores, messages=10_000, seconds=2.0)
    assert (await read_throughput(stores)).messages_per_second == 5000.0  # the faster, same size
