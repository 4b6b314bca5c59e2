"""``/api/collections``: named sets of uploads analysed as one corpus.

Analysing a collection asks ingest to merge the members' corpora, records the merged
corpus as an upload of the collection (``FileRecord.collection_id``) and starts an
ordinary analysis job over it (routes.analysis.submit_analysis): same job states,
Socket.IO events, results, exports and pages as any upload's analysis.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import msgspec
from aiohttp import web

from convoscope_common import names, owner_index
from convoscope_common.clock import new_id, utcnow
from convoscope_common.collection_ownership import (
    collections_of,
    delete_collection_analyses,
)
from convoscope_common.collection_types import (
    MAX_COLLECTION_MEMBERS,
    MAX_COLLECTIONS_PER_OWNER,
    CollectionAnalysisRequest,
    CollectionCreate,
    CollectionDeleted,
    CollectionInfo,
    CollectionList,
    CollectionMember,
    CollectionRecord,
    CollectionUploads,
    MergeMember,
    MergeRequest,
    merge_reply_decoder,
)
from convoscope_common.logs import get_logger
from convoscope_common.ownership import jobs_of_file
from convoscope_common.records import FileRecord
from convoscope_common.wire import ParseFailed, encode
from convoscope_gateway.auth import owner_of
from convoscope_gateway.errors import (
    ConflictError,
    GoneError,
    NotFoundError,
    ServiceUnavailableError,
    UpstreamError,
    ValidationError,
)
from convoscope_gateway.estimates import estimate_collection_seconds
from convoscope_gateway.jsonio import json_response, read_json
from convoscope_gateway.routes.analysis import canonical_options, submit_analysis
from convoscope_gateway.routes.upload import stop_job_for
from convoscope_gateway.service_requests import ask_ingest
from convoscope_gateway.state import GATEWAY, Gateway

log = get_logger(__name__)


async def _collection(request: web.Request, gw: Gateway) -> CollectionRecord:
    collection_id = request.match_info["collection_id"]
    record = await gw.stores.get_collection(collection_id)
    if record is None or record.owner != owner_of(request):
        raise NotFoundError(f"no collection with id {collection_id!r} (it may have expired)")
    return record


async def _member(gw: Gateway, file_id: str, owner: str | None) -> FileRecord:
    """The caller's upload ``file_id`` (never a collection's merged corpus), or 404."""
    record = await gw.stores.get_file(file_id)
    if record is None or record.owner != owner or record.collection_id is not None:
        raise NotFoundError(
            f"no upload with id {file_id!r} (it may have expired); upload the file again"
        )
    return record


async def _info(gw: Gateway, record: CollectionRecord) -> CollectionInfo:
    members = []
    for file_id in record.file_ids:
        upload = await gw.stores.get_file(file_id)
        if upload is None:  # expired: listed by id so the owner can remove it
            members.append(CollectionMember(file_id=file_id))
            continue
        members.append(
            CollectionMember(
                file_id=file_id,
                filename=upload.filename,
                source=upload.metadata.source,
                conversations=upload.metadata.conversations,
                messages=upload.metadata.messages,
                created_at=upload.created_at,
            )
        )
    analyses = 0
    latest = None
    for merged_id in record.merged_file_ids:
        analyses += len(await jobs_of_file(gw.stores, merged_id, record.owner))
        latest = await gw.stores.get_file(merged_id) or latest
    return CollectionInfo(
        collection_id=record.collection_id,
        name=record.name,
        uploads=members,
        analyses=analyses,
        merged=latest.metadata if latest is not None else None,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


async def post_collection(request: web.Request) -> web.Response:
    """Create a collection of the caller's uploads (it may start empty)."""
    gw = request.app[GATEWAY]
    body = await read_json(request, CollectionCreate)
    owner = owner_of(request)
    file_ids = list(dict.fromkeys(body.file_ids))
    for file_id in file_ids:
        await _member(gw, file_id, owner)
    if len(await collections_of(gw.stores, owner)) >= MAX_COLLECTIONS_PER_OWNER:
        raise ConflictError(
            f"this key already holds {MAX_COLLECTIONS_PER_OWNER} collections; delete one first"
        )
    now = utcnow()
    record = CollectionRecord(
        collection_id=new_id("col"),
        name=body.name.strip() or body.name,
        owner=owner,
        file_ids=file_ids,
        created_at=now,
        updated_at=now,
    )
    await owner_index.add_collection(gw.stores, record.collection_id, owner)
    await gw.stores.put_collection(record)
    log.info("collection_created", collection_id=record.collection_id, uploads=len(file_ids))
    return json_response(await _info(gw, record), status=201)


async def list_collections(request: web.Request) -> web.Response:
    """The caller's collections, newest first."""
    gw = request.app[GATEWAY]
    records = await collections_of(gw.stores, owner_of(request))
    return json_response(CollectionList(collections=[await _info(gw, r) for r in records]))


async def get_collection(request: web.Request) -> web.Response:
    """One collection with its uploads."""
    gw = request.app[GATEWAY]
    return json_response(await _info(gw, await _collection(request, gw)))


async def delete_collection(request: web.Request) -> web.Response:
    """Delete a collection and its analyses (results, exports); its uploads stay."""
    gw = request.app[GATEWAY]
    record = await _collection(request, gw)
    removed = await delete_collection_analyses(gw.stores, record, stop_job_for(gw))
    await gw.stores.delete_collection(record.collection_id)
    await owner_index.drop_collection(gw.stores, record.collection_id, record.owner)
    log.info("collection_deleted", collection_id=record.collection_id, jobs=removed.jobs)
    return json_response(
        CollectionDeleted(
            collection_id=record.collection_id,
            jobs_deleted=removed.jobs,
            results_deleted=removed.results,
            exports_deleted=removed.exports,
            bytes_deleted=removed.bytes,
        )
    )


async def add_uploads(request: web.Request) -> web.Response:
    """Add uploads to a collection (already present ones are ignored)."""
    gw = request.app[GATEWAY]
    record = await _collection(request, gw)
    body = await read_json(request, CollectionUploads)
    for file_id in body.file_ids:
        await _member(gw, file_id, record.owner)
    file_ids = list(dict.fromkeys([*record.file_ids, *body.file_ids]))
    if len(file_ids) > MAX_COLLECTION_MEMBERS:
        raise ValidationError(f"a collection holds at most {MAX_COLLECTION_MEMBERS} uploads")
    record.file_ids, record.updated_at = file_ids, utcnow()
    await gw.stores.put_collection(record)
    return json_response(await _info(gw, record))


async def remove_upload(request: web.Request) -> web.Response:
    """Take an upload out of a collection (the upload stays); the collection's earlier
    analyses go, since they were made with its conversations."""
    gw = request.app[GATEWAY]
    record = await _collection(request, gw)
    file_id = request.match_info["file_id"]
    if file_id not in record.file_ids:
        raise NotFoundError(f"the collection holds no upload with id {file_id!r}")
    await delete_collection_analyses(gw.stores, record, stop_job_for(gw))
    record.file_ids = [f for f in record.file_ids if f != file_id]
    record.merged_file_ids, record.updated_at = [], utcnow()
    await gw.stores.put_collection(record)
    return json_response(await _info(gw, record))


def merged_file_id(collection_id: str, file_hash: str) -> str:
    """The upload record of one merged corpus of one collection."""
    digest = hashlib.sha256(f"{collection_id}:{file_hash}".encode()).hexdigest()[:32]
    return f"cf_{digest}"


async def post_collection_analysis(request: web.Request) -> web.Response:
    """Merge the collection's uploads (ingest) and start an analysis job over the result."""
    gw = request.app[GATEWAY]
    record = await _collection(request, gw)
    body = await read_json(request, CollectionAnalysisRequest)
    options = canonical_options(body.options)
    if not record.file_ids:
        raise ValidationError("the collection has no uploads; add some first")
    members = []
    for file_id in record.file_ids:
        upload = await gw.stores.get_file(file_id)
        if upload is None:
            raise GoneError(
                f"the upload {file_id!r} has expired; upload it again or remove it "
                "from the collection"
            )
        members.append(upload)
    # Upload order decides a tie between two versions of one conversation.
    members.sort(key=lambda u: (u.created_at, u.file_id))
    previous = record.merged_file_ids[-1] if record.merged_file_ids else None
    merged = await _merge(gw, record, members)

    async def estimating() -> float:
        messages = merged.metadata.messages
        return await estimate_collection_seconds(gw, messages, await _reused(gw, record, previous))

    return await submit_analysis(gw, merged, options, record.owner, estimating)


async def _reused(gw: Gateway, record: CollectionRecord, previous: str | None) -> int | None:
    """The messages of the collection's previous merge, when the analysis about to run
    can reuse what an earlier one kept (its pieces are there); else None. The job is
    queued already: a store that does not answer here gives the full estimate, never an
    error."""
    if previous is None:
        return None
    stores = gw.stores
    try:
        if not await stores.object_exists(
            stores.results_data, names.pieces_object(record.collection_id)
        ):
            return None
        earlier = await stores.get_file(previous)
    except Exception:
        return None
    return earlier.metadata.messages if earlier is not None else None


async def _merge(gw: Gateway, record: CollectionRecord, members: list[FileRecord]) -> FileRecord:
    request_msg = MergeRequest(
        collection_id=record.collection_id,
        members=[
            MergeMember(file_id=m.file_id, file_hash=m.file_hash, corpus_object=m.corpus_object)
            for m in members
        ],
    )
    raw = await ask_ingest(gw, names.INGEST_MERGE, encode(request_msg))
    try:
        reply = merge_reply_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise ServiceUnavailableError(
            "the ingest service answered with a reply this gateway cannot read; try again"
        ) from None
    if isinstance(reply, ParseFailed):
        raise UpstreamError(reply.error)
    now = utcnow()
    merged = FileRecord(
        file_id=merged_file_id(record.collection_id, reply.file_hash),
        file_hash=reply.file_hash,
        filename=record.name,
        upload_object="",
        corpus_object=reply.corpus_object,
        metadata=reply.metadata,
        owner=record.owner,
        created_at=now,
        expires_at=now + timedelta(seconds=gw.settings.upload_ttl),
        collection_id=record.collection_id,
    )
    # Indexed first, like an upload: listings and deletes read the index, not the bucket.
    await owner_index.add_file(gw.stores, merged.file_id, merged.owner, (merged.corpus_object,))
    await gw.stores.put_file(merged)
    # The latest merge last (CollectionInfo.merged shows it).
    record.merged_file_ids = [f for f in record.merged_file_ids if f != merged.file_id]
    record.merged_file_ids.append(merged.file_id)
    record.updated_at = now
    await gw.stores.put_collection(record)
    return merged
