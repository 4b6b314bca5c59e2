"""Looking up jobs and exports on behalf of a caller (404 for anything not theirs)."""

from __future__ import annotations

from aiohttp import web

from convoscope_common.records import ExportState, JobState
from convoscope_gateway.auth import owner_of
from convoscope_gateway.errors import NotFoundError
from convoscope_gateway.state import Gateway


async def job_for(request: web.Request, gw: Gateway, job_id: str | None = None) -> JobState:
    """The job (from the path unless given), visible to this caller, or 404."""
    job_id = job_id or request.match_info["job_id"]
    state = await gw.stores.get_job(job_id)
    if state is None or state.owner != owner_of(request):
        raise NotFoundError(f"no analysis job with id {job_id!r}")
    return state


async def export_for(request: web.Request, gw: Gateway) -> ExportState:
    """The export named in the path, visible to this caller, or 404."""
    export_id = request.match_info["export_id"]
    state = await gw.stores.get_export(export_id)
    if state is None or state.owner != owner_of(request):
        raise NotFoundError(f"no export with id {export_id!r} (exports expire)")
    return state
