"""``POST /api/export``, ``GET /api/export/{export_id}`` and the file download."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from aiohttp import web
from nats.js.errors import NoKeysError

from convoscope_common import names
from convoscope_common.clock import new_id, utcnow
from convoscope_common.logs import get_logger
from convoscope_common.messages import (
    ExportJob,
    ExportRequest,
    ExportResponse,
    ExportState,
    encode,
    export_filter_problem,
)
from convoscope_common.metrics import Counter
from convoscope_common.objects import ObjectMissingError, object_chunks, object_info
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

log = get_logger(__name__)

EXPORTS = Counter("convoscope_exports_requested_total", "Exports requested", ["format"])
PII_REFUSED = Counter("convoscope_export_pii_refused_total", "include_pii requests refused")


def _response(state: ExportState) -> ExportResponse:
    return ExportResponse(
        export_id=state.export_id,
        status=state.status,
        files=state.files,
        status_url=f"/api/export/{state.export_id}",
    )


async def post_export(request: web.Request) -> web.Response:
    """Queue an export; answer with the files if it finishes within a few seconds, else 202."""
    gw = request.app[GATEWAY]
    body = await read_json(request, ExportRequest)
    problem = export_filter_problem(body.options.filter)
    if problem is not None:
        raise ValidationError(problem)
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
    await gw.stores.put_export(state)
    done = asyncio.Event()

    async def on_event(_msg: object) -> None:
        done.set()

    sub = await gw.nc.subscribe(f"{names.PREFIX}.events.{export_id}.*", cb=on_event)
    try:
        await gw.js.publish(
            names.export_subject(),
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
            stream=names.JOBS_STREAM,
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
    name = f"{state.export_id}/{filename}"
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


async def delete_exports_of(gw: Gateway, job_id: str) -> int:
    """Delete every export (state and files) made from ``job_id``; returns how many."""
    try:
        keys = await gw.stores.exports.keys()
    except NoKeysError:
        return 0
    deleted = 0
    for key in keys:
        state = await gw.stores.get_export(key)
        if state is None or state.job_id != job_id:
            continue
        for file in state.files:
            await gw.stores.delete_object(
                gw.stores.exports_data, f"{state.export_id}/{file.filename}"
            )
        with contextlib.suppress(Exception):
            await gw.stores.exports.delete(key)
        deleted += 1
    return deleted
