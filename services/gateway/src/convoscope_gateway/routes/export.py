"""``POST /api/export``, ``GET /api/export/{export_id}`` and the file download."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from aiohttp import web

from convoscope_common import names, owner_index
from convoscope_common.api import ExportRequest, ExportResponse
from convoscope_common.clock import new_id, utcnow
from convoscope_common.faults import is_storage_full
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter
from convoscope_common.objects import ObjectMissingError, object_chunks, object_info
from convoscope_common.options import export_filter_problem
from convoscope_common.records import ExportState
from convoscope_common.wire import ErrorInfo, ExportJob, encode
from convoscope_gateway.access import export_for, job_for
from convoscope_gateway.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    UpstreamError,
    ValidationError,
)
from convoscope_gateway.jsonio import json_response, read_json
from convoscope_gateway.state import GATEWAY, Gateway
from convoscope_gateway.urls import export_url, with_urls

log = get_logger(__name__)

EXPORTS = Counter("convoscope_exports_requested_total", "Exports requested", ["format"])
PII_REFUSED = Counter("convoscope_export_pii_refused_total", "include_pii requests refused")


def _response(state: ExportState) -> ExportResponse:
    return ExportResponse(
        export_id=state.export_id,
        status=state.status,
        files=with_urls(state.export_id, state.files),
        status_url=export_url(state.export_id),
        error=state.error,
    )


async def post_export(request: web.Request) -> web.Response:
    """Queue an export; answer with the files if it finishes within a few seconds, else 202."""
    gw = request.app[GATEWAY]
    body = await read_json(request, ExportRequest)
    problem = export_filter_problem(body.options.filter)
    if problem is not None:
        raise ValidationError(problem)
    if body.options.share_safe:
        # The share-safe report is a document to hand on: html and pdf, never raw data.
        others = sorted(set(body.formats) - {"html", "pdf"})
        if others:
            raise ValidationError(
                f"a share-safe export is html and/or pdf only, not {', '.join(others)}"
            )
        if body.options.include_pii:
            raise ValidationError("a share-safe export cannot include personal data")
    job = await job_for(request, gw, body.job_id)
    if job.status != "complete":
        raise ConflictError(
            f"the analysis is {job.status}, not complete; export it once it has completed"
        )
    if body.options.include_pii and not gw.settings.allow_include_pii:
        PII_REFUSED.inc()
        log.warning("include_pii_refused", job_id=job.job_id)
        raise ForbiddenError(
            "exports with personal data (include_pii) are disabled on this "
            "server; the operator can allow them with "
            "CONVOSCOPE_ALLOW_INCLUDE_PII=true"
        )
    index = await gw.stores.get_result_index(job.cache_key)
    if index is None:
        raise NotFoundError("the results of this job are no longer cached; run the analysis again")
    if body.options.include_pii:
        record = await gw.stores.get_file(job.file_id)
        if record is None or not await gw.stores.object_exists(
            gw.stores.corpora, record.corpus_object
        ):
            raise GoneError(
                "the original upload has expired, so an export with "
                "personal data cannot be made; upload it again"
            )
        corpus_object, corpus_store = record.corpus_object, "corpora"
    else:
        corpus_object, corpus_store = index.redacted_corpus_object, "results"
    export_id = new_id("export")
    now = utcnow()
    state = ExportState(
        export_id=export_id,
        job_id=job.job_id,
        owner=job.owner,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=gw.settings.export_ttl),
    )
    # Indexed under its job first: deleting the job finds it without listing exports.
    await owner_index.add_export(gw.stores, job.job_id, export_id)
    await gw.stores.put_export(state)
    done = asyncio.Event()

    async def on_event(_msg: object) -> None:
        done.set()

    sub = await gw.nc.subscribe(names.events_of(export_id), cb=on_event)
    try:
        await _queue_export(
            gw,
            state,
            encode(
                ExportJob(
                    export_id=export_id,
                    job_id=job.job_id,
                    file_id=job.file_id,
                    corpus_object=corpus_object,
                    corpus_store=corpus_store,
                    results_object=index.results_object,
                    file_hash=index.file_hash,
                    formats=list(dict.fromkeys(body.formats)),
                    options=body.options,
                    owner=job.owner,
                    submitted_at=now,
                )
            ),
        )
        for fmt in body.formats:
            EXPORTS.labels(format=fmt).inc()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), gw.settings.export_wait)
    finally:
        await sub.unsubscribe()
    state = await gw.stores.get_export(export_id) or state
    if state.status == "failed" and state.error is not None:
        raise UpstreamError(state.error)
    return json_response(_response(state), status=200 if state.status == "complete" else 202)


async def _queue_export(gw: Gateway, state: ExportState, job: bytes) -> None:
    """Publish the export job; when that fails, the export is failed (never left pending)."""
    try:
        await gw.js.publish(names.export_subject(), job, stream=names.JOBS_STREAM)
    except Exception as exc:
        full = is_storage_full(exc)
        state.status = "failed"
        state.error = ErrorInfo(
            code="storage_full" if full else "queue_unavailable",
            status=507 if full else 503,
            message="the export could not be queued; try again later",
            details=type(exc).__name__,
        )
        state.updated_at = utcnow()
        with contextlib.suppress(Exception):  # the store that failed may fail again
            await gw.stores.put_export(state)
        raise


async def get_export(request: web.Request) -> web.Response:
    """The state of an export and its files once complete."""
    gw = request.app[GATEWAY]
    state = await export_for(request, gw)
    return json_response(_response(state))


async def get_export_file(request: web.Request) -> web.StreamResponse:
    """Download one file of a complete export, with its content type and filename."""
    gw = request.app[GATEWAY]
    state = await export_for(request, gw)
    filename = request.match_info["filename"]
    match = next((f for f in state.files if f.filename == filename), None)
    if match is None:
        raise NotFoundError(f"export {state.export_id} has no file named {filename!r}")
    name = names.export_object(state.export_id, filename)
    try:
        info = await object_info(gw.stores.exports_data, name)
    except ObjectMissingError:
        raise GoneError(f"the file {filename!r} has expired; export again") from None
    # Streamed chunk by chunk from the object store: memory stays bounded by one chunk.
    response = web.StreamResponse(
        headers={
            "Content-Type": match.content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
    response.content_length = info.size or 0
    await response.prepare(request)
    async for chunk in object_chunks(gw.stores.exports_data, name, info=info):
        await response.write(chunk)
    await response.write_eof()
    return response
