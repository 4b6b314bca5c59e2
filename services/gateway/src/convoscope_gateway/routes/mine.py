"""The caller's own things: ``GET /api/uploads`` and ``GET /api/analyses``
(``DELETE /api/upload/{file_id}`` lives with the upload routes).

With API keys on, each key sees and deletes only what it created; without keys
everything is shared by everyone who can reach the server.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from convoscope_common import owner_index
from convoscope_common.logs import get_logger
from convoscope_common.records import FileRecord, JobState
from convoscope_gateway.auth import owner_of
from convoscope_gateway.browse_types import (
    AnalysisPage,
    AnalysisRow,
    UploadPage,
    UploadRow,
)
from convoscope_gateway.jsonio import json_response
from convoscope_gateway.paging import page_request, slice_page
from convoscope_gateway.state import GATEWAY, Gateway

log = get_logger(__name__)
_OLDEST = datetime(1970, 1, 1, tzinfo=UTC)


async def _files_of(
    gw: Gateway, owner: str | None, *, collections: bool = False
) -> list[FileRecord]:
    """The owner's uploads (with ``collections``, also collections' merged corpora);
    the owner's index records name them: no listing of the files bucket."""
    records = []
    for key in await owner_index.files_of_owner(gw.stores, owner):
        record = await gw.stores.get_file(key)
        # A collection's merged corpus is listed with the collection, not as an upload.
        if (
            record is not None
            and record.owner == owner
            and (collections or record.collection_id is None)
        ):
            records.append(record)
    return sorted(records, key=lambda r: (r.created_at, r.file_id), reverse=True)


async def _jobs_of(gw: Gateway, owner: str | None) -> list[JobState]:
    jobs = []
    for key in await owner_index.jobs_of_owner(gw.stores, owner):
        state = await gw.stores.get_job(key)  # None for bookkeeping records
        if state is not None and state.owner == owner:
            jobs.append(state)
    return sorted(jobs, key=lambda s: (s.created_at, s.job_id), reverse=True)


async def get_uploads(request: web.Request) -> web.Response:
    """My uploads, newest first, with how many analyses each has."""
    gw = request.app[GATEWAY]
    page = page_request(list(request.query.items()), "uploads")
    owner = owner_of(request)
    files = await _files_of(gw, owner)
    counts: dict[str, int] = {}
    for job in await _jobs_of(gw, owner):
        counts[job.file_id] = counts.get(job.file_id, 0) + 1
    items, cursor = slice_page(files, page)
    rows = [
        UploadRow(
            file_id=r.file_id,
            file_hash=r.file_hash,
            filename=r.filename,
            metadata=r.metadata,
            created_at=r.created_at,
            expires_at=r.expires_at,
            analyses=counts.get(r.file_id, 0),
        )
        for r in items
    ]
    return json_response(
        UploadPage(items=rows, total=len(files), limit=page.limit, next_cursor=cursor)
    )


async def get_analyses(request: web.Request) -> web.Response:
    """My analyses, newest first (``file_id`` narrows them to one upload)."""
    gw = request.app[GATEWAY]
    page = page_request(list(request.query.items()), "analyses")
    owner = owner_of(request)
    jobs = await _jobs_of(gw, owner)
    file_id = request.query.get("file_id")
    if file_id:
        jobs = [j for j in jobs if j.file_id == file_id]
    # A collection's analysis is listed under the collection's name.
    names_by_file = {r.file_id: r.filename for r in await _files_of(gw, owner, collections=True)}
    items, cursor = slice_page(jobs, page)
    rows = [
        AnalysisRow(
            job_id=j.job_id,
            file_id=j.file_id,
            filename=names_by_file.get(j.file_id, ""),
            status=j.status,
            progress=j.progress,
            current_step=j.current_step,
            timezone=j.options.timezone,
            enable_privacy=j.options.enable_privacy,
            created_at=j.created_at,
            finished_at=j.finished_at,
            from_cache=j.from_cache,
        )
        for j in items
    ]
    return json_response(
        AnalysisPage(items=rows, total=len(jobs), limit=page.limit, next_cursor=cursor)
    )
