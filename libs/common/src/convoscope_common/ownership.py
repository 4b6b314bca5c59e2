"""Who owns stored data, and deleting it: jobs own their results, uploads own everything.

Results are shared: two jobs of the same file and options (the second a cache hit)
use one cached result. Each job that uses a result holds a reference — a key
``<cache key>.<job_id>`` in the ``result-refs`` bucket — written before the job is
announced; deleting a job drops its reference, and the result goes with the last
one. ``delete_upload`` removes an upload and everything made from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.js.errors import NoKeysError

from convoscope_common import names
from convoscope_common.cache import delete_results, filtered_keys, owned_result_keys
from convoscope_common.logs import get_logger
from convoscope_common.records import ExportState, FileRecord, JobState
from convoscope_common.storage import Stores

log = get_logger(__name__)


def _ref_key(cache_key: str, job_id: str) -> str:
    return f"{cache_key}.{job_id}"


async def add_ref(stores: Stores, cache_key: str, job_id: str) -> None:
    """Record that ``job_id`` uses the result under ``cache_key``."""
    await stores.refs.put(_ref_key(cache_key, job_id), b"1")


async def refs_of(stores: Stores, cache_key: str) -> list[str]:
    """The ids of the jobs that use the result under ``cache_key``.

    ``<cache_key>.*`` is one more token, the job id (owner-scoped keys are longer), and
    the server filters: only this result's references are read, never the bucket.
    """
    prefix = f"{cache_key}."
    return [key[len(prefix) :] async for key in filtered_keys(stores.refs, f"{prefix}*")]


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
    index = await stores.get_result_index(cache_key)
    if index is None or not await delete_results(stores, cache_key):
        return 0
    return index.size


async def delete_exports_of(stores: Stores, job_id: str) -> tuple[int, int]:
    """Delete every export (state and files) made from ``job_id``: (exports, bytes)."""
    try:
        keys = await stores.exports.keys()
    except NoKeysError:
        return 0, 0
    deleted = size = 0
    for key in keys:
        state: ExportState | None = await stores.get_export(key)
        if state is None or state.job_id != job_id:
            continue
        for file in state.files:
            await stores.delete_object(
                stores.exports_data, names.export_object(state.export_id, file.filename)
            )
            size += file.size
        with contextlib.suppress(Exception):
            await stores.exports.delete(key)
        deleted += 1
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
    return removed


async def jobs_of_file(stores: Stores, file_id: str, owner: str | None) -> list[JobState]:
    """Every job made from ``file_id`` (a scan of the ``jobs`` bucket, bounded by its TTL)."""
    try:
        keys = await stores.jobs.keys()
    except NoKeysError:
        return []
    jobs = []
    for key in keys:
        state = await stores.get_job(key)
        if state is not None and state.file_id == file_id and state.owner == owner:
            jobs.append(state)
    return jobs


async def _shared_by_other_files(stores: Stores, record: FileRecord) -> set[str]:
    """Object names of ``record`` that another upload record still uses (same bytes sent
    by another key): those stay."""
    try:
        keys = await stores.files.keys()
    except NoKeysError:
        return set()
    used: set[str] = set()
    for key in keys:
        if key == record.file_id:
            continue
        other = await stores.get_file(key)
        if other is not None:
            used.update({other.upload_object, other.corpus_object})
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
    log.info("upload_deleted", file_id=record.file_id, jobs=removed.jobs, bytes=removed.bytes)
    return removed
