"""Who owns stored data, and deleting it: jobs own their results, uploads own everything.

Results are shared: two jobs of the same file and options (the second a cache hit)
use one cached result. Each job that uses a result holds a reference — a key
``<cache key>.<job_id>`` in the ``result-refs`` bucket — written before the job is
announced; deleting a job drops its reference, and the result goes with the last
one. ``delete_upload`` removes an upload and everything made from it.

A cache hit racing with the deletion of the result's last job: the deleter puts a
marker ``<cache key>.del_<id>`` and looks at the references again before it deletes;
a cache hit adds its reference first and then treats the result as missing if a
marker is there. Either the deleter sees the new reference (and keeps the result) or
the hit sees the marker (and runs the analysis again); never a hit on deleted results.

Related records are found through index records (``owner_index.py``): one subject
filter per lookup, never a listing of the ``jobs``, ``exports`` or ``files`` bucket.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from convoscope_common import names, owner_index
from convoscope_common.cache import delete_results, filtered_keys, owned_result_keys, usable_index
from convoscope_common.clock import new_id
from convoscope_common.logs import get_logger
from convoscope_common.records import FileRecord, JobState, ResultIndex
from convoscope_common.storage import Stores

log = get_logger(__name__)

# Job ids start with "job_": a deletion marker can never be taken for a reference.
DELETING = "del_"


def _ref_key(cache_key: str, job_id: str) -> str:
    return f"{cache_key}.{job_id}"


async def add_ref(stores: Stores, cache_key: str, job_id: str) -> None:
    """Record that ``job_id`` uses the result under ``cache_key``."""
    await stores.refs.put(_ref_key(cache_key, job_id), b"1")


async def _ref_tokens(stores: Stores, cache_key: str) -> list[str]:
    # ``<cache_key>.*`` is one more token (owner-scoped keys are longer), and the
    # server filters: only this result's references are read, never the bucket.
    prefix = f"{cache_key}."
    return [key[len(prefix) :] async for key in filtered_keys(stores.refs, f"{prefix}*")]


async def refs_of(stores: Stores, cache_key: str) -> list[str]:
    """The ids of the jobs that use the result under ``cache_key``."""
    return [t for t in await _ref_tokens(stores, cache_key) if not t.startswith(DELETING)]


async def cached_for_referenced(stores: Stores, cache_key: str) -> ResultIndex | None:
    """The index of the result under ``cache_key`` if a job that already holds its
    reference can complete from it: stored, and no deletion of it under way."""
    # After the reference: a deleter that has not put its marker yet will see it.
    if any(t.startswith(DELETING) for t in await _ref_tokens(stores, cache_key)):
        return None
    return await usable_index(stores, cache_key)


async def claim_cached(stores: Stores, cache_key: str, job_id: str) -> ResultIndex | None:
    """Reference the result under ``cache_key`` for ``job_id``, then
    :func:`cached_for_referenced`."""
    await add_ref(stores, cache_key, job_id)
    return await cached_for_referenced(stores, cache_key)


async def drop_ref(stores: Stores, cache_key: str, job_id: str) -> None:
    with contextlib.suppress(Exception):  # already gone is fine
        await stores.refs.delete(_ref_key(cache_key, job_id))


async def release_results(stores: Stores, cache_key: str, job_id: str) -> int:
    """Drop ``job_id``'s reference; delete the result when no job uses it any more.

    Returns the bytes deleted (0 when other jobs still use the result).
    """
    if not cache_key:
        return 0
    await drop_ref(stores, cache_key, job_id)
    if await refs_of(stores, cache_key):
        return 0
    marker = _ref_key(cache_key, new_id(DELETING.rstrip("_")))
    await stores.refs.put(marker, b"1")
    try:
        if await refs_of(stores, cache_key):
            return 0  # a cache hit referenced it before it saw the marker: it stays
        index = await stores.get_result_index(cache_key)
        if index is None or not await delete_results(stores, cache_key):
            return 0
        return index.size
    finally:
        with contextlib.suppress(Exception):  # expires with the bucket's TTL otherwise
            await stores.refs.delete(marker)


async def delete_exports_of(stores: Stores, job_id: str) -> tuple[int, int]:
    """Delete every export (state and files) made from ``job_id``: (exports, bytes).

    The job's export index records name them (no listing of the ``exports`` bucket)."""
    deleted = size = 0
    for export_id in await owner_index.exports_of_job(stores, job_id):
        state = await stores.get_export(export_id)
        if state is not None and state.job_id == job_id:
            for file in state.files:
                await stores.delete_object(
                    stores.exports_data, names.export_object(state.export_id, file.filename)
                )
                size += file.size
            with contextlib.suppress(Exception):
                await stores.exports.delete(export_id)
            deleted += 1
        await owner_index.drop(stores, owner_index.job_export_key(job_id, export_id))
    return deleted, size


@dataclass
class Removed:
    """What a deletion removed."""

    jobs: int = 0
    results: int = 0
    exports: int = 0
    bytes: int = 0


async def remove_job(stores: Stores, state: JobState) -> Removed:
    """Delete a job's record, its reference to its result (and the result with the last
    reference) and its exports. The caller stops a running job first."""
    removed = Removed(jobs=1)
    await stores.delete_job(state.job_id)
    freed = await release_results(stores, state.cache_key, state.job_id)
    removed.results, removed.bytes = (1, freed) if freed else (0, 0)
    exports, size = await delete_exports_of(stores, state.job_id)
    removed.exports, removed.bytes = exports, removed.bytes + size
    await owner_index.drop_job(stores, state.file_id, state.job_id, state.owner)
    return removed


async def jobs_of_file(stores: Stores, file_id: str, owner: str | None) -> list[JobState]:
    """Every job made from ``file_id`` (its index records; no listing of ``jobs``)."""
    jobs = []
    for job_id in await owner_index.jobs_of_file(stores, file_id):
        state = await stores.get_job(job_id)
        if state is not None and state.file_id == file_id and state.owner == owner:
            jobs.append(state)
    return jobs


def _objects(record: FileRecord) -> tuple[str, ...]:
    # A collection's merged corpus has no raw bytes of its own (upload_object "").
    return tuple(name for name in (record.upload_object, record.corpus_object) if name)


async def _shared_by_other_files(stores: Stores, record: FileRecord) -> set[str]:
    """Object names of ``record`` that another upload record still uses (same bytes sent
    by another key): those stay. Only the records indexed under each object are read."""
    used: set[str] = set()
    for name in _objects(record):
        for file_id in await owner_index.files_using(stores, name):
            if file_id == record.file_id:
                continue
            other = await stores.get_file(file_id)
            if other is not None and name in _objects(other):
                used.add(name)
                break
    return used


async def _object_size(stores: Stores, store_name: str, name: str) -> int:
    store = stores.uploads if store_name == "uploads" else stores.corpora
    try:
        info = await store.get_info(name)
    except Exception:
        return 0
    return int(info.size or 0)


async def delete_upload(
    stores: Stores, record: FileRecord, stop_job: Callable[[JobState], Awaitable[None]]
) -> Removed:
    """Remove an upload and everything made from it: its jobs (running ones are stopped
    with ``stop_job``), their results and exports, every cached result of the file for
    this owner, the corpus and the raw bytes."""
    removed = Removed()
    for state in await jobs_of_file(stores, record.file_id, record.owner):
        if state.status in ("pending", "processing"):
            await stop_job(state)
        part = await remove_job(stores, state)
        removed.jobs += part.jobs
        removed.results += part.results
        removed.exports += part.exports
        removed.bytes += part.bytes
    for key in await owned_result_keys(stores, record.file_hash, record.owner):
        index = await stores.get_result_index(key)
        for job_id in await refs_of(stores, key):
            await drop_ref(stores, key, job_id)
        if index is not None and await delete_results(stores, key):
            removed.results += 1
            removed.bytes += index.size
    shared = await _shared_by_other_files(stores, record)
    if record.corpus_object not in shared:
        removed.bytes += await _object_size(stores, "corpora", record.corpus_object)
        await stores.delete_object(stores.corpora, record.corpus_object)
    # A collection's merged corpus has no raw bytes of its own (upload_object "").
    if record.upload_object and record.upload_object not in shared:
        removed.bytes += await _object_size(stores, "uploads", record.upload_object)
        await stores.delete_object(stores.uploads, record.upload_object)
    with contextlib.suppress(Exception):
        await stores.files.delete(record.file_id)
    # What is left under the file (jobs that never got a record) and the file's own.
    stale = await owner_index.jobs_of_file(stores, record.file_id)
    await owner_index.drop(
        stores, *(owner_index.file_job_key(record.file_id, job_id) for job_id in stale)
    )
    await owner_index.drop_file(stores, record.file_id, record.owner, _objects(record))
    log.info("upload_deleted", file_id=record.file_id, jobs=removed.jobs, bytes=removed.bytes)
    return removed
