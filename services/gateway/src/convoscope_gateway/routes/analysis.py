"""``POST /api/analysis``, ``GET`` and ``DELETE /api/analysis/{job_id}``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import msgspec
from aiohttp import web

from convoscope_common import names, owner_index
from convoscope_common.api import (
    AnalysisAccepted,
    AnalysisDeleted,
    AnalysisRequest,
    AnalysisStatus,
    DrilldownResponse,
)
from convoscope_common.cache import cache_key, privacy_fingerprint
from convoscope_common.clock import new_id, utcnow
from convoscope_common.lease import cancel_unfinished, job_fencing
from convoscope_common.metrics import Counter
from convoscope_common.options import AnalysisOptions
from convoscope_common.ownership import (
    claim_cached,
    delete_exports_of,
    drop_ref,
    release_results,
    remove_job,
)
from convoscope_common.records import FileRecord, JobState
from convoscope_common.timezones import UnknownTimezoneError, canonical_timezone
from convoscope_common.wire import (
    AnalyzeJob,
    CancelledEvent,
    CancelRequest,
    DrilldownFailed,
    DrilldownRequest,
    drilldown_reply_decoder,
    encode,
)
from convoscope_gateway import quotas
from convoscope_gateway.access import job_for
from convoscope_gateway.auth import owner_of
from convoscope_gateway.errors import (
    ConflictError,
    NotFoundError,
    UpstreamError,
    ValidationError,
)
from convoscope_gateway.estimates import estimate_seconds
from convoscope_gateway.jsonio import json_response, read_json
from convoscope_gateway.loaded import light_document
from convoscope_gateway.paging import PAGING_PARAMS, encode_cursor, page_request
from convoscope_gateway.service_requests import ask_service
from convoscope_gateway.state import GATEWAY, Gateway

CACHE_LOOKUPS = Counter("convoscope_cache_lookups_total", "Result cache lookups", ["result"])
JOBS_SUBMITTED = Counter("convoscope_jobs_submitted_total", "Analysis jobs submitted")

# Ids per page of a drill-down: 10,000 ids stay far below NATS's 1 MiB payload limit.
DRILLDOWN_LIMIT = 1000
DRILLDOWN_MAX_LIMIT = 10_000


async def post_analysis(request: web.Request) -> web.Response:
    """Start a job, or complete it at once from the cache."""
    gw = request.app[GATEWAY]
    body = await read_json(request, AnalysisRequest)
    options = canonical_options(body.options)
    owner = owner_of(request)
    record = await gw.stores.get_file(body.file_id)
    if record is None or record.owner != owner:
        raise NotFoundError(
            f"no upload with id {body.file_id!r} (it may have expired); upload the file again"
        )
    return await submit_analysis(gw, record, options, owner)


def canonical_options(options: AnalysisOptions) -> AnalysisOptions:
    """The options with the timezone's canonical name, or 422 for an unknown zone."""
    try:
        # One name per zone: 'Etc/UTC', 'Zulu' and 'UTC' share one cache entry.
        timezone = canonical_timezone(options.timezone)
    except UnknownTimezoneError:
        raise ValidationError(
            f"unknown timezone {options.timezone!r}; use an IANA name "
            "such as 'Europe/Paris' or 'UTC'"
        ) from None
    return msgspec.structs.replace(options, timezone=timezone)


async def submit_analysis(
    gw: Gateway,
    record: FileRecord,
    options: AnalysisOptions,
    owner: str | None,
    estimating: Callable[[], Awaitable[float]] | None = None,
) -> web.Response:
    """Start a job over ``record``'s corpus (an upload, or a collection's merged corpus),
    or complete it at once from the cache. ``estimating`` gives the job's
    ``estimated_duration`` (default: an upload's, :func:`estimate_seconds`)."""
    key = cache_key(
        record.file_hash, options, owner=owner, privacy=privacy_fingerprint(gw.settings)
    )
    job_id = new_id("job")
    now = utcnow()
    state = JobState(
        job_id=job_id,
        file_id=record.file_id,
        cache_key=key,
        owner=owner,
        options=options,
        created_at=now,
        updated_at=now,
    )
    try:
        # Indexed under its upload and owner before its record exists, so a DELETE of
        # the upload finds it without listing the jobs bucket.
        await owner_index.add_job(gw.stores, record.file_id, job_id, owner)
        # The job holds a reference to its (future) result before anyone can see it, so
        # deleting another job of the same file and options never takes its results.
        if await claim_cached(gw.stores, key, job_id) is not None:
            CACHE_LOOKUPS.labels(result="hit").inc()
            state.complete_from_cache(now)
            await gw.stores.put_job(state)
            return json_response(
                AnalysisAccepted(job_id=job_id, status="complete", estimated_duration=0.0),
                status=201,
            )
        CACHE_LOOKUPS.labels(result="miss").inc()
        if owner is not None:
            await quotas.reserve(
                gw.stores,
                owner,
                job_id,
                options.priority,
                max_active=gw.settings.max_active_jobs_per_key,
                max_high=gw.settings.max_high_priority_jobs_per_key,
                now=time.time(),
            )
        state.message = "Waiting for an analyzer"
        await gw.stores.put_job(state)
        job = AnalyzeJob(
            job_id=job_id,
            file_id=record.file_id,
            file_hash=record.file_hash,
            corpus_object=record.corpus_object,
            options=options,
            cache_key=key,
            owner=owner,
            submitted_at=now,
            collection_id=record.collection_id,
        )
        await gw.js.publish(
            names.analyze_subject(options.priority), encode(job), stream=names.JOBS_STREAM
        )
    except Exception:
        # Never a half-written job: a record without a queued message would stay pending.
        await _forget_job(gw, state, key)
        raise
    JOBS_SUBMITTED.inc()
    if estimating is None:
        estimate = await estimate_seconds(gw, record.metadata.messages)
    else:
        estimate = await estimating()
    return json_response(
        AnalysisAccepted(job_id=job_id, status="pending", estimated_duration=estimate), status=202
    )


async def get_analysis(request: web.Request) -> web.Response:
    """Status, progress and, once complete, the results."""
    gw = request.app[GATEWAY]
    state = await job_for(request, gw)
    results = pages = None
    if state.status == "complete":
        results, pages = await light_document(request, gw, state)
    return json_response(
        AnalysisStatus(
            job_id=state.job_id,
            status=state.status,
            progress=state.progress,
            current_step=state.current_step,
            message=state.message,
            insights=state.insights,
            error=state.error,
            from_cache=state.from_cache,
            created_at=state.created_at,
            started_at=state.started_at,
            finished_at=state.finished_at,
            results=results,
            pages=pages or {},
        ),
        request=request,
    )


async def _forget_job(gw: Gateway, state: JobState, key: str) -> None:
    # Best effort: the store that failed may fail again (the records expire anyway).
    with contextlib.suppress(Exception):
        await gw.stores.delete_job(state.job_id)
    with contextlib.suppress(Exception):
        await drop_ref(gw.stores, key, state.job_id)
    with contextlib.suppress(Exception):
        await owner_index.drop_job(gw.stores, state.file_id, state.job_id, state.owner)


async def delete_analysis(request: web.Request) -> web.Response:
    """Cancel a running job (the worker stops at its next checkpoint) or delete a finished
    one; either way the job's reference to its results goes, and the results with the
    last reference, and its exports."""
    gw = request.app[GATEWAY]
    state = await job_for(request, gw)
    await gw.stores.mark_cancelled(state.job_id)
    await gw.nc.publish(
        names.cancel_subject(state.job_id), encode(CancelRequest(job_id=state.job_id))
    )
    was = state.status
    status: Literal["cancelled", "deleted"] = "deleted"
    if state.status in ("pending", "processing") and await cancel_unfinished(
        job_fencing(gw.stores), state.job_id, utcnow()
    ):
        # This request made the transition, so it alone announces it; a worker that
        # still runs the job loses its lease and announces nothing.
        status = "cancelled"
        await gw.nc.publish(
            names.event_subject(state.job_id, "cancelled"),
            encode(CancelledEvent(job_id=state.job_id)),
        )
        freed = await release_results(gw.stores, state.cache_key, state.job_id)
        exports, _size = await delete_exports_of(gw.stores, state.job_id)
        results_deleted = freed > 0
    else:
        removed = await remove_job(gw.stores, state)
        results_deleted, exports = removed.results > 0, removed.exports
    return json_response(
        AnalysisDeleted(
            job_id=state.job_id,
            status=status,
            previous_status=was,
            results_deleted=results_deleted,
            exports_deleted=exports,
        )
    )


async def get_drilldown(request: web.Request) -> web.Response:
    """The conversation and message ids behind an aggregate (filters in the query string)."""
    gw = request.app[GATEWAY]
    state = await job_for(request, gw)
    if state.status != "complete":
        raise ConflictError(f"the analysis is {state.status}; drill down once it is complete")
    page = page_request(
        request.query,
        extra=f"drilldown:{state.job_id}",
        default_limit=DRILLDOWN_LIMIT,
        max_limit=DRILLDOWN_MAX_LIMIT,
    )
    query = {k: v for k, v in request.query.items() if k not in PAGING_PARAMS}
    request_ = DrilldownRequest(
        cache_key=state.cache_key, query=query, offset=page.offset, limit=page.limit
    )
    # Asked again for a moment when no analyzer answers: one may be restarting (recycled).
    raw = await ask_service(
        gw, names.ANALYZER_DRILLDOWN, encode(request_), service="analyzer", timeout=30
    )
    reply = drilldown_reply_decoder.decode(raw)
    if isinstance(reply, DrilldownFailed):
        raise UpstreamError(reply.error)
    ids = reply.ids
    return json_response(
        DrilldownResponse(
            job_id=state.job_id,
            query=query,
            conversation_ids=ids.conversation_ids,
            message_ids=ids.message_ids,
            conversations=ids.conversations,
            messages=ids.messages,
            limit=page.limit,
            next_cursor=encode_cursor(page.offset + page.limit, page.scope) if ids.more else None,
        )
    )
