"""Index records: which jobs a file has, which exports a job has, which uploads use an
object, what an owner holds — so no request lists a whole bucket.

One KV bucket (``owner-index``) holds keys (the value is a placeholder) whose last token names the
indexed thing; a lookup reads one subject filter (``file.<file_id>.*``) on the
server, never the bucket (see :func:`convoscope_common.cache.filtered_keys`):

- ``file.<file_id>.<job_id>``: a job made from an upload;
- ``job.<job_id>.<export_id>``: an export made from a job;
- ``object.<object token>.<file_id>``: an upload record using a stored object (raw
  bytes or corpus; the same bytes uploaded by two keys share objects);
- ``owner.<owner>.file.<file_id>``, ``owner.<owner>.job.<job_id>`` and
  ``owner.<owner>.collection.<collection_id>``: what one owner (API key, or ``_``
  without keys) holds, for ``GET /api/uploads``, ``/api/analyses``, the collections
  routes and the collections an upload's DELETE must update.

The gateway writes a thing's records *before* the thing is written or announced, so a
reader that finds a record may find no thing (it expired or was never finished: the
record is dropped), but never a thing without its record. The bucket's TTL is the
longest of the indexed things' TTLs.
"""

from __future__ import annotations

import contextlib

from convoscope_common.cache import filtered_keys
from convoscope_common.storage import Stores

ANONYMOUS = "_"  # the owner token when API keys are off (owner ids are hex)


def _owner(owner: str | None) -> str:
    return owner or ANONYMOUS


def object_token(name: str) -> str:
    """One key token for an object name (corpus names are ``<sha256>.v<n>``)."""
    return name.replace(".", "_")


def file_job_key(file_id: str, job_id: str) -> str:
    return f"file.{file_id}.{job_id}"


def job_export_key(job_id: str, export_id: str) -> str:
    return f"job.{job_id}.{export_id}"


def object_file_key(object_name: str, file_id: str) -> str:
    return f"object.{object_token(object_name)}.{file_id}"


def owner_file_key(owner: str | None, file_id: str) -> str:
    return f"owner.{_owner(owner)}.file.{file_id}"


def owner_job_key(owner: str | None, job_id: str) -> str:
    return f"owner.{_owner(owner)}.job.{job_id}"


def owner_collection_key(owner: str | None, collection_id: str) -> str:
    return f"owner.{_owner(owner)}.collection.{collection_id}"


async def _put(stores: Stores, *keys: str) -> None:
    for key in keys:
        await stores.index.put(key, b"1")


async def _last_tokens(stores: Stores, prefix: str) -> list[str]:
    """The last token of every live key ``<prefix>.<token>`` (one server-side filter)."""
    start = len(prefix) + 1
    return [key[start:] async for key in filtered_keys(stores.index, f"{prefix}.*")]


async def drop(stores: Stores, *keys: str) -> None:
    """Delete index records (already gone is fine)."""
    for key in keys:
        with contextlib.suppress(Exception):
            await stores.index.delete(key)


# --- writes (before the thing) -------------------------------------------------------


async def add_job(stores: Stores, file_id: str, job_id: str, owner: str | None) -> None:
    """Index a job under its upload and its owner (before its record is written)."""
    await _put(stores, file_job_key(file_id, job_id), owner_job_key(owner, job_id))


async def drop_job(stores: Stores, file_id: str, job_id: str, owner: str | None) -> None:
    await drop(stores, file_job_key(file_id, job_id), owner_job_key(owner, job_id))


async def add_export(stores: Stores, job_id: str, export_id: str) -> None:
    """Index an export under its job (before its state is written)."""
    await _put(stores, job_export_key(job_id, export_id))


async def add_file(
    stores: Stores, file_id: str, owner: str | None, objects: tuple[str, ...]
) -> None:
    """Index an upload record under its owner and the objects it uses (before the
    record is written; a collection's merged corpus has no raw bytes: "" is skipped)."""
    await _put(
        stores,
        owner_file_key(owner, file_id),
        *(object_file_key(name, file_id) for name in objects if name),
    )


async def drop_file(
    stores: Stores, file_id: str, owner: str | None, objects: tuple[str, ...]
) -> None:
    await drop(
        stores,
        owner_file_key(owner, file_id),
        *(object_file_key(name, file_id) for name in objects if name),
    )


async def add_collection(stores: Stores, collection_id: str, owner: str | None) -> None:
    """Index a collection under its owner (before its record is written)."""
    await _put(stores, owner_collection_key(owner, collection_id))


async def drop_collection(stores: Stores, collection_id: str, owner: str | None) -> None:
    await drop(stores, owner_collection_key(owner, collection_id))


# --- reads (one subject filter each) -------------------------------------------------


async def jobs_of_file(stores: Stores, file_id: str) -> list[str]:
    """Ids of the jobs indexed under ``file_id``."""
    return await _last_tokens(stores, f"file.{file_id}")


async def exports_of_job(stores: Stores, job_id: str) -> list[str]:
    """Ids of the exports indexed under ``job_id``."""
    return await _last_tokens(stores, f"job.{job_id}")


async def files_using(stores: Stores, object_name: str) -> list[str]:
    """Ids of the upload records indexed as using ``object_name``."""
    return await _last_tokens(stores, f"object.{object_token(object_name)}")


async def files_of_owner(stores: Stores, owner: str | None) -> list[str]:
    """Ids of the uploads of ``owner``."""
    return await _last_tokens(stores, f"owner.{_owner(owner)}.file")


async def jobs_of_owner(stores: Stores, owner: str | None) -> list[str]:
    """Ids of the jobs of ``owner``."""
    return await _last_tokens(stores, f"owner.{_owner(owner)}.job")


async def collections_of_owner(stores: Stores, owner: str | None) -> list[str]:
    """Ids of the collections of ``owner``."""
    return await _last_tokens(stores, f"owner.{_owner(owner)}.collection")
