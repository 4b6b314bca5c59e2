"""The public REST API's request and response bodies (JSON, the seed's field names).

The OpenAPI document is generated from these Structs (``convoscope_gateway.openapi``);
the gateway is the only producer of URLs in them. Bus messages are in
:mod:`convoscope_common.wire`, KV records in :mod:`convoscope_common.records`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from convoscope_common.launcher_status import ProcessStatus
from convoscope_common.light import LightResults, ResultPage
from convoscope_common.options import AnalysisOptions, ExportFormat, ExportOptions
from convoscope_common.records import JobStatus
from convoscope_common.wire import ErrorInfo, FileMetadata

HealthState = Literal["healthy", "degraded", "unhealthy"]


# --- requests ------------------------------------------------------------------------


class AnalysisRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/analysis``."""

    file_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    options: AnalysisOptions = msgspec.field(default_factory=AnalysisOptions)


class ExportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/export``."""

    job_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    formats: Annotated[list[ExportFormat], msgspec.Meta(min_length=1, max_length=5)]
    options: ExportOptions = msgspec.field(default_factory=ExportOptions)


# --- responses -----------------------------------------------------------------------


class UploadResponse(msgspec.Struct, kw_only=True):
    """Answer of ``POST /api/upload``."""

    file_id: str
    file_hash: str
    metadata: FileMetadata


class UploadInfo(msgspec.Struct, kw_only=True):
    """Answer of ``GET /api/upload/{file_id}``."""

    file_id: str
    file_hash: str
    filename: str
    metadata: FileMetadata
    cached_results: bool
    created_at: datetime
    expires_at: datetime | None = None


class AnalysisAccepted(msgspec.Struct, kw_only=True):
    """Answer of ``POST /api/analysis``."""

    job_id: str
    status: JobStatus
    estimated_duration: float


class AnalysisStatus(msgspec.Struct, kw_only=True):
    """Answer of ``GET /api/analysis/{job_id}``."""

    job_id: str
    status: JobStatus
    progress: float
    current_step: str = ""
    message: str = ""
    insights: list[str] = []
    error: ErrorInfo | None = None
    from_cache: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The light results document (summary level); per-conversation and per-message
    # data is paged from the collections in ``pages`` (see docs/web.md).
    results: LightResults | None = None
    pages: dict[str, ResultPage] = {}


class ExportFile(msgspec.Struct, kw_only=True):
    """One file of an export, with its download link."""

    format: str
    filename: str
    url: str
    size: int
    content_type: str = "application/octet-stream"


class ExportResponse(msgspec.Struct, kw_only=True):
    """Answer of ``POST /api/export`` and ``GET /api/export/{export_id}``."""

    export_id: str
    status: JobStatus
    files: list[ExportFile] = []
    status_url: str = ""
    # Why a failed export failed (e.g. ``storage_full``); null otherwise.
    error: ErrorInfo | None = None


class HealthStatus(msgspec.Struct, kw_only=True):
    """``GET /api/health`` without a valid key when API keys are configured."""

    status: HealthState


class HealthResponse(msgspec.Struct, kw_only=True):
    """Answer of ``GET /api/health``."""

    status: HealthState
    version: str
    uptime: float
    active_jobs: int
    cache_size: int
    nats: Literal["connected", "disconnected"] = "connected"
    services: dict[str, float] = {}
    # Processes run by the local launcher (`make run`): state and restart counts.
    processes: dict[str, ProcessStatus] = {}


class AnalysisDeleted(msgspec.Struct, kw_only=True):
    """Answer of ``DELETE /api/analysis/{job_id}``."""

    job_id: str
    # "cancelled" for a job that was still pending or running; "deleted" for a finished
    # one, whose record is removed with its results and exports.
    status: Literal["cancelled", "deleted"]
    previous_status: JobStatus
    results_deleted: bool
    exports_deleted: int


class UploadDeleted(msgspec.Struct, kw_only=True):
    """Answer of ``DELETE /api/upload/{file_id}``: what was removed."""

    file_id: str
    status: Literal["deleted"] = "deleted"
    jobs_deleted: int
    results_deleted: int
    exports_deleted: int
    bytes_deleted: int


class DrilldownResponse(msgspec.Struct, kw_only=True):
    """Answer of ``GET /api/analysis/{job_id}/drilldown``: the filters echoed, then the ids."""

    job_id: str
    query: dict[str, str] = {}
    conversation_ids: list[str] = []
    message_ids: list[str] = []
    # Totals of the whole answer; the lists hold one page of at most ``limit`` ids each.
    conversations: int = 0
    messages: int = 0
    limit: int = 1000
    # Pass as ``cursor`` for the next page of both lists; None on the last page.
    next_cursor: str | None = None


class ErrorBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every JSON error the API returns."""

    error: str
    message: str
    details: str | None = None
