"""The result cache: keys, lookups, last-access bookkeeping and LRU eviction.

A cache key is ``<file sha256>.<digest of options + engine version>``, so every
result of one file shares a key prefix (``has_results``) and a new engine
version never reuses old numbers. With API keys, the owner id sits between the
two (``<sha256>.<owner>.<digest>``): results are never shared across keys, so
one key can neither learn that another analysed the same bytes nor delete its
results.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import msgspec
from nats.js.errors import InvalidKeyError
from nats.js.kv import KeyValue

from convoscope_common import names
from convoscope_common.clock import utcnow
from convoscope_common.config import Settings
from convoscope_common.logs import get_logger
from convoscope_common.options import AnalysisOptions
from convoscope_common.pricing import price_fingerprint
from convoscope_common.records import ResultIndex, result_index_decoder
from convoscope_common.results import ENGINE_VERSION, AnalysisResults, decode_results
from convoscope_common.storage import ObjectMissingError, Stores, kv_keys

log = get_logger(__name__)

# How stale a cache entry's ``last_access`` may get before a read records the use: reads
# cost no KV write in between, and eviction orders entries to within this interval.
USE_RECORD_INTERVAL = timedelta(minutes=5)

# Options that change the numbers; priority does not.
_RESULT_OPTIONS = (
    "enable_privacy",
    "enable_quality",
    "enable_temporal",
    "enable_visualizations",
    "timezone",
)


def _key_prefix(file_hash: str, owner: str | None) -> str:
    prefix = f"{file_hash.removeprefix('sha256:')}."
    return prefix if owner is None else f"{prefix}{owner}."


def privacy_fingerprint(settings: Settings) -> str:
    """A digest of the redaction settings, so results redacted otherwise are never reused."""
    material = msgspec.json.encode(
        {
            "operators": settings.privacy_operators,
            "secret": hashlib.sha256(settings.pseudonym_secret.encode()).hexdigest(),
            "names": settings.privacy_detect_names,
            "region": settings.privacy_default_region,
            # Pseudonym keys are derived per owner: results made under the shared key differ.
            "pseudonyms": "per-owner",
            # The usage estimate's cost depends on the configured prices.
            "prices": price_fingerprint(settings),
        }
    )
    return hashlib.sha256(material).hexdigest()[:16]


def cache_key(
    file_hash: str,
    options: AnalysisOptions,
    engine_version: str = ENGINE_VERSION,
    owner: str | None = None,
    privacy: str = "",
) -> str:
    """The results key for this file, these options, this engine, this owner and these
    redaction settings (``privacy``: :func:`privacy_fingerprint`)."""
    relevant = {name: getattr(options, name) for name in _RESULT_OPTIONS}
    material = msgspec.json.encode(
        {"options": relevant, "engine": engine_version, "privacy": privacy}
    )
    digest = hashlib.sha256(material).hexdigest()[:32]
    return f"{_key_prefix(file_hash, owner)}{digest}"


async def owned_result_keys(stores: Stores, file_hash: str, owner: str | None = None) -> list[str]:
    """The cache keys of ``owner``'s results for the file.

    The server filters by subject (``<hash>.*`` or ``<hash>.<owner>.*``), so only
    this file's keys are read, never the whole bucket (nats-py's ``keys(filters=)``
    would list every key and filter on the client). Without an owner the
    single-token wildcard matches only unscoped keys.
    """
    keys: list[str] = []
    async for key in _result_keys(stores, _key_prefix(file_hash, owner)):
        keys.append(key)
    return keys


async def has_results(stores: Stores, file_hash: str, owner: str | None = None) -> bool:
    """Whether any cached result of ``owner`` exists for the file (stops at the first)."""
    async for _ in _result_keys(stores, _key_prefix(file_hash, owner)):
        return True
    return False


async def _result_keys(stores: Stores, prefix: str) -> AsyncIterator[str]:
    async for key in filtered_keys(stores.results, f"{prefix}*"):
        yield key


async def filtered_keys(kv: KeyValue, pattern: str) -> AsyncIterator[str]:
    """Live keys matching a subject ``pattern`` (``a.b.*``, ``a.>``), filtered by the server.

    Only matching keys are read (one ordered consumer with a subject filter), never the
    whole bucket; a pattern that cannot be a key matches nothing.
    """
    for attempt in range(_EMPTY_WATCH_CHECKS):
        try:
            watcher = await kv.watch(pattern, ignore_deletes=True, meta_only=True)
        except InvalidKeyError:
            return
        found = False
        try:
            async for entry in watcher:
                if entry is None:  # the end of the current values
                    break
                found = True
                yield entry.key
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        # nats-py's watcher can signal "no values" before the first one arrives (seen as
        # an empty bucket under load): an empty answer is trusted only when the stream
        # holds no message under the pattern, or when a second look agrees.
        if found or attempt or not await _has_messages(kv, pattern):
            return


_EMPTY_WATCH_CHECKS = 2


async def _has_messages(kv: KeyValue, pattern: str) -> bool:
    """Whether the bucket's stream holds any message (a value or a delete marker) under
    ``pattern``; one stream-info request with a subject filter."""
    info = await kv._js.stream_info(kv._stream, subjects_filter=f"{kv._pre}{pattern}")
    return bool(info.state.subjects)


async def usable_index(stores: Stores, key: str) -> ResultIndex | None:
    """The cache entry for ``key`` if its results object is still stored, else None."""
    index = await stores.get_result_index(key)
    if index is None or not await stores.object_exists(stores.results_data, index.results_object):
        return None
    return index


async def record_use(stores: Stores, index: ResultIndex, revision: int, now: datetime) -> bool:
    """Record that the cached result was read, for the LRU eviction; True if written.

    At most one write per key every :data:`USE_RECORD_INTERVAL` (the stored
    ``last_access`` is the throttle, so it holds across gateway replicas), and a
    compare-and-set on ``revision``, so an entry deleted or rewritten since it was read
    is never brought back or overwritten.
    """
    if now - index.last_access < USE_RECORD_INTERVAL:
        return False
    used = msgspec.structs.replace(index, last_access=now)
    return await stores.swap_result_index(used, revision) is not None


async def read_results(stores: Stores, index: ResultIndex) -> AnalysisResults | None:
    """The results an entry (already looked up) points to, or None once they are gone."""
    try:
        data = await stores.read_object(stores.results_data, index.results_object)
    except ObjectMissingError:
        return None
    return decode_results(data)


async def load_results(stores: Stores, key: str) -> AnalysisResults | None:
    """Cached results for ``key`` (one lookup; the use recorded as :func:`record_use` does),
    or None."""
    entry = await stores.result_index_entry(key)
    if entry is None:
        return None
    results = await read_results(stores, entry[0])
    if results is not None:
        await record_use(stores, entry[0], entry[1], utcnow())
    return results


async def delete_results(stores: Stores, key: str) -> bool:
    """Remove a cached result and its redacted corpus; True if there was one."""
    index = await stores.get_result_index(key)
    if index is None:
        return False
    await stores.delete_object(stores.results_data, index.results_object)
    await stores.delete_object(stores.results_data, names.light_object(index.results_object))
    if index.redacted_corpus_object:
        await stores.delete_object(stores.results_data, index.redacted_corpus_object)
    try:
        await stores.results.delete(key)
    except Exception as exc:  # already gone is fine
        log.debug("result_index_delete_failed", error=type(exc).__name__)
    return True


async def all_indexes(stores: Stores) -> list[ResultIndex]:
    """Every cache entry."""
    keys = await kv_keys(stores.results)
    indexes = []
    for key in keys:
        try:
            entry = await stores.results.get(key)
        except Exception:  # deleted between listing and reading
            continue
        if entry.value:
            indexes.append(result_index_decoder.decode(entry.value))
    return indexes


async def cache_size(stores: Stores) -> int:
    """Bytes held by the result cache."""
    return sum(index.size for index in await all_indexes(stores))


async def evict_lru(stores: Stores, max_size: int, keep: str | None = None) -> list[str]:
    """Delete least-recently-used results until the cache fits in ``max_size`` bytes."""
    indexes = sorted(await all_indexes(stores), key=lambda index: index.last_access)
    total = sum(index.size for index in indexes)
    evicted: list[str] = []
    for index in indexes:
        if total <= max_size:
            break
        if index.cache_key == keep:
            continue
        await delete_results(stores, index.cache_key)
        total -= index.size
        evicted.append(index.cache_key)
    if evicted:
        log.info("cache_evicted", entries=len(evicted), remaining_bytes=total)
    return evicted
