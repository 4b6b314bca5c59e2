"""``POST /api/upload``, ``GET`` and ``DELETE /api/upload/{file_id}``."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import msgspec
from aiohttp import web

from convoscope_common import names, owner_index
from convoscope_common.api import UploadDeleted, UploadInfo, UploadResponse
from convoscope_common.cache import has_results
from convoscope_common.clock import utcnow
from convoscope_common.collection_ownership import drop_upload_from_collections
from convoscope_common.corpus import CORPUS_SCHEMA_VERSION
from convoscope_common.lease import cancel_unfinished, job_fencing
from convoscope_common.metrics import Counter
from convoscope_common.ownership import delete_upload as remove_upload
from convoscope_common.records import FileRecord, JobState
from convoscope_common.wire import (
    CancelledEvent,
    CancelRequest,
    ParseFailed,
    ParseRequest,
    encode,
    parse_reply_decoder,
)
from convoscope_gateway import quotas
from convoscope_gateway.auth import owner_of
from convoscope_gateway.errors import (
    NotFoundError,
    RequestTimeoutError,
    ServiceUnavailableError,
    UpstreamError,
)
from convoscope_gateway.jsonio import json_response
from convoscope_gateway.service_requests import ask_ingest
from convoscope_gateway.state import GATEWAY, Gateway
from convoscope_gateway.uploads import receive_upload

UPLOADS = Counter("convoscope_uploads_total", "Uploads by outcome", ["outcome"])


def file_id_for(sha256_hex: str, owner: str | None) -> str:
    """Same bytes, same owner -> same file id (uploads are addressed by content)."""
    if owner is None:
        return f"f_{sha256_hex[:32]}"
    return "f_" + hashlib.sha256(f"{owner}:{sha256_hex}".encode()).hexdigest()[:32]


def _current(record: FileRecord) -> bool:
    """Whether the record's corpus was written by this corpus schema (ingest names corpus
    objects ``<sha256>.v<version>``); an older one is parsed again on re-upload."""
    return record.corpus_object.endswith(f".v{CORPUS_SCHEMA_VERSION}")


def _fresh(record: FileRecord, ttl: float) -> bool:
    """Reuse a record only while more than half its lifetime is left: a re-upload of an
    old file is stored and parsed again, so its file id lives a full TTL."""
    if record.expires_at is None:
        return True
    return record.expires_at - utcnow() > timedelta(seconds=ttl / 2)


async def post_upload(request: web.Request) -> web.Response:
    """Store the bytes once per hash, ask ingest for metadata, return it."""
    gw = request.app[GATEWAY]
    owner = owner_of(request)
    try:
        async with asyncio.timeout(gw.settings.upload_timeout):
            upload = await receive_upload(request, gw.settings.max_upload_bytes)
    except TimeoutError:
        raise RequestTimeoutError(
            f"the upload did not arrive within {gw.settings.upload_timeout:g} s; try again"
        ) from None
    try:
        file_id = file_id_for(upload.sha256, owner)
        file_hash = f"sha256:{upload.sha256}"
        existing = await gw.stores.get_file(file_id)
        if (
            existing is not None
            and _fresh(existing, gw.settings.upload_ttl)
            and _current(existing)
            and await gw.stores.object_exists(gw.stores.corpora, existing.corpus_object)
        ):
            UPLOADS.labels(outcome="deduplicated").inc()
            return json_response(
                UploadResponse(file_id=file_id, file_hash=file_hash, metadata=existing.metadata)
            )
        if owner is not None:
            await quotas.reserve_bytes(
                gw.stores,
                owner,
                file_id,
                upload.size,
                max_bytes=gw.settings.max_stored_bytes_per_key,
                ttl=gw.settings.upload_ttl,
                now=time.time(),
            )
        # Stored again even when present: a new write restarts the object's TTL.
        upload_object = upload.sha256
        # A spooled temporary file is a binary reader; it is stored chunk by chunk.
        await gw.stores.write_object(gw.stores.uploads, upload_object, upload.file)
    finally:
        upload.file.close()
    request_msg = ParseRequest(
        file_id=file_id,
        file_hash=file_hash,
        upload_object=upload_object,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
    )
    raw = await ask_ingest(gw, names.INGEST_PARSE, encode(request_msg))
    try:
        reply = parse_reply_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        # A reply from an ingest of another version (or a bug): still an answer here.
        await gw.stores.delete_object(gw.stores.uploads, upload_object)
        UPLOADS.labels(outcome="rejected").inc()
        raise ServiceUnavailableError(
            "the ingest service answered with a reply this gateway cannot read; try again"
        ) from None
    if isinstance(reply, ParseFailed):
        # Nothing half-written stays behind: the rejected bytes are removed.
        await gw.stores.delete_object(gw.stores.uploads, upload_object)
        if owner is not None:
            await quotas.release_bytes(gw.stores, owner, file_id)
        UPLOADS.labels(outcome="rejected").inc()
        raise UpstreamError(reply.error)
    now = utcnow()
    record = FileRecord(
        file_id=file_id,
        file_hash=file_hash,
        filename=upload.filename,
        upload_object=upload_object,
        corpus_object=reply.corpus_object,
        metadata=reply.metadata,
        owner=owner,
        created_at=now,
        expires_at=now + timedelta(seconds=gw.settings.upload_ttl),
    )
    # Indexed first (owner, objects): listings and deletes read these, not the bucket.
    await owner_index.add_file(
        gw.stores, file_id, owner, (record.upload_object, record.corpus_object)
    )
    await gw.stores.put_file(record)
    UPLOADS.labels(outcome="parsed").inc()
    return json_response(
        UploadResponse(file_id=file_id, file_hash=file_hash, metadata=reply.metadata)
    )


async def get_upload(request: web.Request) -> web.Response:
    """Metadata of an upload and whether cached results exist for it."""
    gw = request.app[GATEWAY]
    file_id = request.match_info["file_id"]
    record = await gw.stores.get_file(file_id)
    if record is None or record.owner != owner_of(request):
        raise NotFoundError(f"no upload with id {file_id!r} (it may have expired)")
    return json_response(
        UploadInfo(
            file_id=record.file_id,
            file_hash=record.file_hash,
            filename=record.filename,
            metadata=record.metadata,
            cached_results=await has_results(gw.stores, record.file_hash, record.owner),
            created_at=record.created_at,
            expires_at=record.expires_at,
        )
    )


def stop_job_for(gw: Gateway) -> Callable[[JobState], Awaitable[None]]:
    """How a deletion stops a running job: it stops at its next checkpoint and finds its
    record gone; a job nobody took yet is announced cancelled here."""

    async def stop_job(state: JobState) -> None:
        await gw.stores.mark_cancelled(state.job_id)
        await gw.nc.publish(
            names.cancel_subject(state.job_id), encode(CancelRequest(job_id=state.job_id))
        )
        if await cancel_unfinished(job_fencing(gw.stores), state.job_id, utcnow()):
            await gw.nc.publish(
                names.event_subject(state.job_id, "cancelled"),
                encode(CancelledEvent(job_id=state.job_id)),
            )

    return stop_job


async def delete_upload(request: web.Request) -> web.Response:
    """Delete an upload and everything made from it ("delete my data" in one call),
    including the analyses of every collection that held it (the upload leaves them)."""
    gw = request.app[GATEWAY]
    file_id = request.match_info["file_id"]
    record = await gw.stores.get_file(file_id)
    if record is None or record.owner != owner_of(request):
        raise NotFoundError(f"no upload with id {file_id!r} (it may have expired)")
    stop_job = stop_job_for(gw)
    removed = await drop_upload_from_collections(gw.stores, file_id, record.owner, stop_job)
    own = await remove_upload(gw.stores, record, stop_job)
    if record.owner is not None:  # its bytes no longer count against the key's quota
        await quotas.release_bytes(gw.stores, record.owner, file_id)
    return json_response(
        UploadDeleted(
            file_id=file_id,
            jobs_deleted=removed.jobs + own.jobs,
            results_deleted=removed.results + own.results,
            exports_deleted=removed.exports + own.exports,
            bytes_deleted=removed.bytes + own.bytes,
        )
    )
