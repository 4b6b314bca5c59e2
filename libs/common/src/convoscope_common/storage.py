"""Typed access to the KV buckets and object stores (one place for keys and codecs)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import IO

import msgspec
from nats.js import JetStreamContext, api
from nats.js.errors import (
    InvalidKeyError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
    ObjectNotFoundError,
)
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from convoscope_common import names, objects
from convoscope_common.collection_types import CollectionRecord, collection_record_decoder

# Re-exported: callers catch it from here.
from convoscope_common.objects import ObjectMissingError as ObjectMissingError
from convoscope_common.records import (
    ExportState,
    FileRecord,
    JobState,
    ResultIndex,
    export_state_decoder,
    file_record_decoder,
    job_state_decoder,
    result_index_decoder,
)
from convoscope_common.wire import encode


@dataclass
class Stores:
    """Handles on every bucket and object store."""

    files: KeyValue
    jobs: KeyValue
    results: KeyValue
    exports: KeyValue
    cancels: KeyValue
    refs: KeyValue
    index: KeyValue
    collections: KeyValue
    uploads: ObjectStore
    corpora: ObjectStore
    results_data: ObjectStore
    exports_data: ObjectStore

    @classmethod
    async def open(cls, js: JetStreamContext) -> Stores:
        """Bind to the (already provisioned) buckets."""
        return cls(
            files=await js.key_value(names.KV_FILES),
            jobs=await js.key_value(names.KV_JOBS),
            results=await js.key_value(names.KV_RESULTS),
            exports=await js.key_value(names.KV_EXPORTS),
            cancels=await js.key_value(names.KV_CANCELS),
            refs=await js.key_value(names.KV_RESULT_REFS),
            index=await js.key_value(names.KV_OWNER_INDEX),
            collections=await js.key_value(names.KV_COLLECTIONS),
            uploads=await js.object_store(names.OBJ_UPLOADS),
            corpora=await js.object_store(names.OBJ_CORPORA),
            results_data=await js.object_store(names.OBJ_RESULTS),
            exports_data=await js.object_store(names.OBJ_EXPORTS),
        )

    # --- KV records -------------------------------------------------------------

    async def get_file(self, file_id: str) -> FileRecord | None:
        raw = await _kv_get(self.files, file_id)
        return None if raw is None else file_record_decoder.decode(raw)

    async def put_file(self, record: FileRecord) -> None:
        await self.files.put(record.file_id, encode(record))

    async def get_collection(self, collection_id: str) -> CollectionRecord | None:
        raw = await _kv_get(self.collections, collection_id)
        return None if raw is None else collection_record_decoder.decode(raw)

    async def put_collection(self, record: CollectionRecord) -> None:
        await self.collections.put(record.collection_id, encode(record))

    async def delete_collection(self, collection_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError, NotFoundError):
            await self.collections.delete(collection_id)

    async def get_job(self, job_id: str) -> JobState | None:
        raw = await _kv_get(self.jobs, job_id)
        if raw is None:
            return None
        try:
            return job_state_decoder.decode(raw)
        except msgspec.DecodeError:  # ValidationError included
            # The bucket also holds bookkeeping records (the throughput average under
            # "_throughput"); a job id taken from a URL must not reach them as a job.
            return None

    async def put_job(self, state: JobState) -> None:
        await self.jobs.put(state.job_id, encode(state))

    async def job_entry(self, job_id: str) -> tuple[JobState, int] | None:
        """The job's state and its KV revision (for a compare-and-set), or None."""
        entry = await kv_entry(self.jobs, job_id)
        if entry is None:
            return None
        try:
            return job_state_decoder.decode(entry[0]), entry[1]
        except msgspec.DecodeError:
            return None

    async def swap_job(self, state: JobState, revision: int) -> int | None:
        """Write ``state`` only if the record is still at ``revision``; the new revision,
        or None when someone else wrote (or deleted) it meanwhile."""
        return await kv_swap(self.jobs, state.job_id, encode(state), revision)

    async def delete_job(self, job_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError, NotFoundError):
            await self.jobs.delete(job_id)

    async def get_result_index(self, cache_key: str) -> ResultIndex | None:
        raw = await _kv_get(self.results, cache_key)
        return None if raw is None else result_index_decoder.decode(raw)

    async def put_result_index(self, index: ResultIndex) -> None:
        await self.results.put(index.cache_key, encode(index))

    async def result_index_entry(self, cache_key: str) -> tuple[ResultIndex, int] | None:
        """The cache entry and its KV revision (for a compare-and-set), or None."""
        entry = await kv_entry(self.results, cache_key)
        return None if entry is None else (result_index_decoder.decode(entry[0]), entry[1])

    async def swap_result_index(self, index: ResultIndex, revision: int) -> int | None:
        """Compare-and-set write of a cache entry: None when it changed or went meanwhile."""
        return await kv_swap(self.results, index.cache_key, encode(index), revision)

    async def get_export(self, export_id: str) -> ExportState | None:
        raw = await _kv_get(self.exports, export_id)
        return None if raw is None else export_state_decoder.decode(raw)

    async def put_export(self, state: ExportState) -> None:
        await self.exports.put(state.export_id, encode(state))

    async def export_entry(self, export_id: str) -> tuple[ExportState, int] | None:
        """The export's state and its KV revision, or None."""
        entry = await kv_entry(self.exports, export_id)
        return None if entry is None else (export_state_decoder.decode(entry[0]), entry[1])

    async def swap_export(self, state: ExportState, revision: int) -> int | None:
        """Compare-and-set write of an export's state (see :meth:`swap_job`)."""
        return await kv_swap(self.exports, state.export_id, encode(state), revision)

    async def is_cancelled(self, job_id: str) -> bool:
        return await _kv_get(self.cancels, job_id) is not None

    async def mark_cancelled(self, job_id: str) -> None:
        await self.cancels.put(job_id, b"1")

    # --- objects ----------------------------------------------------------------

    async def read_object(self, store: ObjectStore, name: str) -> bytearray:
        """The whole object (linear time, chunk deadlines), or :class:`ObjectMissingError`."""
        return await objects.read_object(store, name)

    async def object_info(self, store: ObjectStore, name: str) -> api.ObjectInfo:
        """The current version's metadata (size, chunks, digest), or :class:`ObjectMissingError`."""
        return await objects.object_info(store, name)

    def object_chunks(
        self, store: ObjectStore, name: str, info: api.ObjectInfo
    ) -> AsyncGenerator[bytes, None]:
        """The chunks of version ``info`` of ``name`` in order (bounded memory); raises
        :class:`~convoscope_common.objects.ObjectReadError` when they do not match it."""
        return objects.object_chunks(store, name, info=info)

    async def write_object(
        self,
        store: ObjectStore,
        name: str,
        data: bytes | bytearray | memoryview | IO[bytes],
        *,
        window_bytes: int = objects.WRITE_WINDOW_BYTES,
    ) -> None:
        """Store ``data`` as ``name``; nothing is visible unless every chunk was stored.
        ``window_bytes``: chunks awaiting their acknowledgement at once (each held)."""
        await objects.write_object(store, name, data, window_bytes=window_bytes)

    async def object_exists(self, store: ObjectStore, name: str) -> bool:
        try:
            await store.get_info(name)
        except (ObjectNotFoundError, NotFoundError):
            return False
        return True

    async def delete_object(self, store: ObjectStore, name: str) -> None:
        with contextlib.suppress(ObjectNotFoundError, NotFoundError):
            await store.delete(name)


async def kv_keys(kv: KeyValue) -> list[str]:
    """Every key of a bucket that holds a message (deleted ones too: reading one says
    it is gone).

    From the stream's count of messages per subject, not nats-py's ``KeyValue.keys``:
    its watcher ends at once when the server counts no pending message before any has
    arrived, and then lists a full bucket as empty (seen in CI under load: the result
    cache looked empty, so its size read 0). The handles are nats-py's own (the
    version is pinned)."""
    prefix: str = kv._pre  # "$KV.<bucket>."
    info = await kv._js.stream_info(kv._stream, subjects_filter=f"{prefix}>")
    return [subject[len(prefix) :] for subject in info.state.subjects or {}]


async def kv_entry(kv: KeyValue, key: str) -> tuple[bytes, int] | None:
    """A key's value and revision, or None when absent, deleted or not a valid key."""
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, NotFoundError, InvalidKeyError):
        return None
    if not entry.value or entry.revision is None:
        return None
    return entry.value, entry.revision


async def kv_swap(kv: KeyValue, key: str, value: bytes, revision: int) -> int | None:
    """Compare-and-set: write only if ``key`` is still at ``revision`` (0: absent)."""
    try:
        return await kv.update(key, value, last=revision)
    except KeyWrongLastSequenceError:
        return None


async def _kv_get(kv: KeyValue, key: str) -> bytes | None:
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, NotFoundError):
        return None
    except InvalidKeyError:  # ids come from URLs: one that cannot be a key names nothing
        return None
    return entry.value if entry.value else None
