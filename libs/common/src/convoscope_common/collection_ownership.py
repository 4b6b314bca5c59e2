"""Deleting what a collection made: its merged corpora and everything analysed from them.

A collection's analyses run over merged corpora that have upload records of their own
(``FileRecord.collection_id``), so deleting them is :func:`ownership.delete_upload` on
each. Deleting a member upload removes it from every collection that holds it and
deletes those collections' analyses (they contain its conversations); the collection
itself stays with its other uploads. With the analyses go the pieces incremental analysis
kept for the collection (``names.pieces_object``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from convoscope_common import names, owner_index
from convoscope_common.clock import utcnow
from convoscope_common.collection_types import CollectionRecord
from convoscope_common.logs import get_logger
from convoscope_common.ownership import Removed, delete_upload
from convoscope_common.records import JobState
from convoscope_common.storage import Stores

log = get_logger(__name__)

StopJob = Callable[[JobState], Awaitable[None]]


def _add(total: Removed, part: Removed) -> None:
    total.jobs += part.jobs
    total.results += part.results
    total.exports += part.exports
    total.bytes += part.bytes


async def delete_collection_analyses(
    stores: Stores, record: CollectionRecord, stop_job: StopJob
) -> Removed:
    """Delete every merged corpus of ``record`` with its jobs, results and exports
    (running jobs are stopped with ``stop_job``); the record itself is not changed."""
    removed = Removed()
    for file_id in record.merged_file_ids:
        merged = await stores.get_file(file_id)
        if merged is None or merged.collection_id != record.collection_id:
            continue
        _add(removed, await delete_upload(stores, merged, stop_job))
    # The pieces incremental analysis reuses hold what the analyses held.
    await stores.delete_object(stores.results_data, names.pieces_object(record.collection_id))
    return removed


async def collections_of(stores: Stores, owner: str | None) -> list[CollectionRecord]:
    """The owner's collections, newest first (through the owner's index records: no
    listing of the collections bucket)."""
    found = []
    for key in await owner_index.collections_of_owner(stores, owner):
        record = await stores.get_collection(key)
        if record is not None and record.owner == owner:
            found.append(record)
    return sorted(found, key=lambda r: (r.created_at, r.collection_id), reverse=True)


async def drop_upload_from_collections(
    stores: Stores, file_id: str, owner: str | None, stop_job: StopJob
) -> Removed:
    """Remove ``file_id`` from every collection of ``owner`` that holds it, deleting
    those collections' analyses (they were made with the upload's conversations)."""
    removed = Removed()
    for record in await collections_of(stores, owner):
        if file_id not in record.file_ids:
            continue
        _add(removed, await delete_collection_analyses(stores, record, stop_job))
        record.file_ids = [f for f in record.file_ids if f != file_id]
        record.merged_file_ids = []
        record.updated_at = utcnow()
        await stores.put_collection(record)
        log.info("upload_dropped_from_collection", collection_id=record.collection_id)
    return removed
