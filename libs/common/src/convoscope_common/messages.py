"""Every message that crosses the bus or the public API, as msgspec Structs.

Versioning: each bus message carries ``v`` (``MESSAGES_VERSION``). New fields
are added with defaults only, never reordered or retyped, so a newer producer
and an older consumer keep understanding each other. Where a message can be
one of several kinds it is a tagged union (``kind`` field).

Bus encoding is msgpack (:func:`encode` / typed decoders); the public API is
JSON with the seed's field names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from convoscope_common.launcher_status import ProcessStatus
from convoscope_common.light import LightResults, ResultPage
from convoscope_common.results import SENTIMENT_LABELS

MESSAGES_VERSION = 1

JobStatus = Literal["pending", "processing", "complete", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"complete", "failed", "cancelled"})
ExportFormat = Literal["csv", "xlsx", "pdf", "html", "json"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf", "html", "json")


class ErrorInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A typed error travelling as data: machine code, HTTP status, human message."""

    code: str
    status: int = 400
    message: str
    details: str | None = None


# --- files / ingest ------------------------------------------------------------


class ParseHealthSummary(msgspec.Struct, kw_only=True, omit_defaults=False):
    """The parse-health report returned with file metadata."""

    items_parsed: int = 0
    items_skipped: int = 0
    skipped_reasons: dict[str, int] = {}
    unknown_block_types: dict[str, int] = {}
    hidden_messages: int = 0
    abandoned_messages: int = 0
    files_read: list[str] = []
    # Bounded lists: what did not fit is counted here (see ParseHealth).
    files_read_omitted: int = 0
    shapes: dict[str, int] = {}
    notes: dict[str, int] = {}


class FileMetadata(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Upload metadata (seed fields first, then ours)."""

    size: int
    conversations: int
    messages: int
    date_range: list[str] = []
    format: str = "claude_json"
    source: str = "claude"
    parse_health: ParseHealthSummary = msgspec.field(default_factory=ParseHealthSummary)


class FileRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the ``files`` KV bucket holds for one upload (key: file_id)."""

    v: int = MESSAGES_VERSION
    file_id: str
    file_hash: str  # "sha256:<hex>"
    filename: str = ""
    upload_object: str  # name in the uploads object store
    corpus_object: str  # name in the corpora object store
    metadata: FileMetadata
    owner: str | None = None
    created_at: datetime
    expires_at: datetime | None = None


class ParseRequest(msgspec.Struct, kw_only=True):
    """Gateway -> ingest (request/reply): parse the uploaded object."""

    v: int = MESSAGES_VERSION
    file_id: str
    file_hash: str
    upload_object: str
    filename: str = ""
    content_type: str = ""
    size: int = 0


class ParseOk(msgspec.Struct, tag="ok", tag_field="kind", kw_only=True):
    v: int = MESSAGES_VERSION
    corpus_object: str
    metadata: FileMetadata


class ParseFailed(msgspec.Struct, tag="error", tag_field="kind", kw_only=True):
    v: int = MESSAGES_VERSION
    error: ErrorInfo


ParseReply = ParseOk | ParseFailed


# --- analysis ------------------------------------------------------------------


class AnalysisOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Options of ``POST /api/analysis`` (seed fields plus timezone and priority)."""

    enable_privacy: bool = True
    enable_quality: bool = True
    enable_temporal: bool = True
    enable_visualizations: bool = True
    timezone: str = "UTC"
    priority: Literal["low", "normal", "high"] = "normal"


class AnalysisRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/analysis``."""

    file_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    options: AnalysisOptions = msgspec.field(default_factory=AnalysisOptions)


class AnalyzeJob(msgspec.Struct, kw_only=True):
    """A job on ``convoscope.jobs.analyze``: a claim check, never the corpus itself."""

    v: int = MESSAGES_VERSION
    job_id: str
    file_id: str
    file_hash: str
    corpus_object: str
    options: AnalysisOptions
    cache_key: str
    owner: str | None = None
    submitted_at: datetime


class JobState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The truth about a job, in the ``jobs`` KV bucket (key: job_id)."""

    v: int = MESSAGES_VERSION
    job_id: str
    file_id: str
    status: JobStatus = "pending"
    progress: float = 0.0
    current_step: str = ""
    message: str = ""
    insights: list[str] = []
    error: ErrorInfo | None = None
    cache_key: str = ""
    from_cache: bool = False
    owner: str | None = None
    options: AnalysisOptions = msgspec.field(default_factory=AnalysisOptions)
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    # The run that holds the job (see lease.py); "" while nobody does.
    run_id: str = ""
    # Whether that run had its replica to itself (a crash is then charged to the job).
    solo: bool = False
    # Runs that stopped without settling the job while running alone.
    crashes: int = 0

    def complete_from_cache(self, now: datetime) -> None:
        """Finish the job with results that were already cached."""
        self.status = "complete"
        self.progress = 100.0
        self.from_cache = True
        self.current_step = "Complete"
        self.message = "Results reused from the cache"
        self.finished_at = self.updated_at = now

    def cancel(self, now: datetime) -> None:
        """Mark the job cancelled (by the user, or found so by a worker)."""
        self.status = "cancelled"
        self.current_step = "Cancelled"
        self.message = "The analysis was cancelled"
        self.finished_at = self.updated_at = now


class ResultIndex(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A ``results`` KV entry (key: cache key): where the cached result lives."""

    v: int = MESSAGES_VERSION
    cache_key: str
    results_object: str
    size: int
    file_hash: str
    engine_version: str
    created_at: datetime
    last_access: datetime
    # The redacted corpus that exports without PII render from.
    redacted_corpus_object: str = ""


# --- events (fan-out on convoscope.events.<job_id>.<kind>) -------------------------


class ProgressEvent(msgspec.Struct, tag="progress", tag_field="event", kw_only=True):
    job_id: str
    progress: float
    current_step: str = ""
    message: str = ""
    insights: list[str] = []


class CompleteEvent(msgspec.Struct, tag="complete", tag_field="event", kw_only=True):
    job_id: str
    status: Literal["complete"] = "complete"
    results_url: str = ""  # filled in by the gateway's fan-out


class ErrorEvent(msgspec.Struct, tag="error", tag_field="event", kw_only=True):
    job_id: str
    error: str
    details: str | None = None


class CancelledEvent(msgspec.Struct, tag="cancelled", tag_field="event", kw_only=True):
    job_id: str
    status: Literal["cancelled"] = "cancelled"


JobEvent = ProgressEvent | CompleteEvent | ErrorEvent | CancelledEvent


class DrilldownRequest(msgspec.Struct, kw_only=True):
    """Gateway -> analyzer (request/reply): which ids lie behind an aggregate."""

    v: int = MESSAGES_VERSION
    cache_key: str
    # Query-string filters as sent (the analyzer validates them).
    query: dict[str, str] = {}
    # The page of ids to return: replies stay far below NATS's 1 MiB payload limit.
    offset: int = 0
    limit: int = 1000


class DrilldownIds(msgspec.Struct, kw_only=True):
    """The conversations and messages behind an aggregate, in corpus order."""

    conversation_ids: list[str] = []
    message_ids: list[str] = []
    conversations: int = 0
    messages: int = 0
    # True when either list goes on past this page.
    more: bool = False


class DrilldownOk(msgspec.Struct, tag="ok", tag_field="kind", kw_only=True):
    ids: DrilldownIds


class DrilldownFailed(msgspec.Struct, tag="error", tag_field="kind", kw_only=True):
    error: ErrorInfo


DrilldownReply = DrilldownOk | DrilldownFailed


class CancelRequest(msgspec.Struct, kw_only=True):
    """Published on ``convoscope.control.cancel.<job_id>``."""

    v: int = MESSAGES_VERSION
    job_id: str
    delete_results: bool = True


# --- exports -------------------------------------------------------------------


FILTER_ROLES: tuple[str, ...] = ("user", "assistant")
MAX_FILTER_VALUES = 10_000


class ExportFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What to include in an export; every field is optional, empty means "no restriction".

    Conversation-level: ``topics`` (topic ids), ``models``, ``sentiment`` (the
    conversation's label), ``conversation_ids``; message-level: the inclusive date range
    (in the analysis timezone) and ``roles``.
    """

    date_from: date | None = None
    date_to: date | None = None
    topics: list[str] = []
    roles: list[str] = []
    models: list[str] = []
    sentiment: list[str] = []
    conversation_ids: list[str] = []

    def is_empty(self) -> bool:
        """True when the filter restricts nothing."""
        return not (
            self.date_from
            or self.date_to
            or self.topics
            or self.roles
            or self.models
            or self.sentiment
            or self.conversation_ids
        )

    def has_message_criteria(self) -> bool:
        """True when the filter selects messages inside conversations (dates or roles)."""
        return bool(self.date_from or self.date_to or self.roles)


def export_filter_problem(flt: ExportFilter) -> str | None:
    """What is wrong with a well-typed filter, as a sentence, or None when it is usable."""
    for name in ("topics", "roles", "models", "sentiment", "conversation_ids"):
        values: list[str] = getattr(flt, name)
        if len(values) > MAX_FILTER_VALUES:
            return f"filter.{name} lists more than {MAX_FILTER_VALUES} values"
        if any(not value for value in values):
            return f"filter.{name} contains an empty value"
    bad_roles = sorted(set(flt.roles) - set(FILTER_ROLES))
    if bad_roles:
        return (
            f"filter.roles: unknown role(s) {', '.join(bad_roles)}; use {' or '.join(FILTER_ROLES)}"
        )
    bad_labels = sorted(set(flt.sentiment) - set(SENTIMENT_LABELS))
    if bad_labels:
        return (
            f"filter.sentiment: unknown label(s) {', '.join(bad_labels)}; "
            f"use {', '.join(SENTIMENT_LABELS)}"
        )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        return "filter.date_from is after filter.date_to"
    return None


class ExportOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    include_pii: bool = False
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)


class ExportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/export``."""

    job_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    formats: Annotated[list[ExportFormat], msgspec.Meta(min_length=1, max_length=5)]
    options: ExportOptions = msgspec.field(default_factory=ExportOptions)


class ExportFile(msgspec.Struct, kw_only=True):
    format: str
    filename: str
    url: str = ""  # filled in by the gateway (workers publish ids, not URLs)
    size: int
    content_type: str = "application/octet-stream"


class ExportJob(msgspec.Struct, kw_only=True):
    """A job on ``convoscope.jobs.export``."""

    v: int = MESSAGES_VERSION
    export_id: str
    job_id: str
    file_id: str
    corpus_object: str
    results_object: str
    formats: list[str]
    # Which store holds corpus_object: "results" (redacted) or "corpora" (raw, include_pii).
    corpus_store: str = "results"
    file_hash: str = ""
    options: ExportOptions
    owner: str | None = None
    submitted_at: datetime


class ExportState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An ``exports`` KV entry (key: export_id)."""

    v: int = MESSAGES_VERSION
    export_id: str
    job_id: str
    status: JobStatus = "pending"
    progress: float = 0.0
    files: list[ExportFile] = []
    error: ErrorInfo | None = None
    owner: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    attempts: int = 0
    run_id: str = ""
    solo: bool = False
    crashes: int = 0


# --- public API responses ----------------------------------------------------------


class UploadResponse(msgspec.Struct, kw_only=True):
    file_id: str
    file_hash: str
    metadata: FileMetadata


class UploadInfo(msgspec.Struct, kw_only=True):
    file_id: str
    file_hash: str
    filename: str
    metadata: FileMetadata
    cached_results: bool
    created_at: datetime
    expires_at: datetime | None = None


class AnalysisAccepted(msgspec.Struct, kw_only=True):
    job_id: str
    status: JobStatus
    estimated_duration: float


class AnalysisStatus(msgspec.Struct, kw_only=True):
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


class ExportResponse(msgspec.Struct, kw_only=True):
    export_id: str
    status: JobStatus
    files: list[ExportFile] = []
    status_url: str = ""
    # Why a failed export failed (e.g. ``storage_full``); null otherwise.
    error: ErrorInfo | None = None


class HealthStatus(msgspec.Struct, kw_only=True):
    """``GET /api/health`` without a valid key when API keys are configured."""

    status: Literal["healthy", "degraded", "unhealthy"]


class HealthResponse(msgspec.Struct, kw_only=True):
    status: Literal["healthy", "degraded", "unhealthy"]
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


# --- bus codecs ----------------------------------------------------------------------

_encoder = msgspec.msgpack.Encoder()


def encode(msg: msgspec.Struct) -> bytes:
    """Encode any bus message (msgpack)."""
    return _encoder.encode(msg)


parse_request_decoder = msgspec.msgpack.Decoder(ParseRequest)
parse_reply_decoder = msgspec.msgpack.Decoder(ParseReply)
file_record_decoder = msgspec.msgpack.Decoder(FileRecord)
analyze_job_decoder = msgspec.msgpack.Decoder(AnalyzeJob)
job_state_decoder = msgspec.msgpack.Decoder(JobState)
result_index_decoder = msgspec.msgpack.Decoder(ResultIndex)
job_event_decoder = msgspec.msgpack.Decoder(JobEvent)
drilldown_request_decoder = msgspec.msgpack.Decoder(DrilldownRequest)
drilldown_reply_decoder = msgspec.msgpack.Decoder(DrilldownReply)
cancel_request_decoder = msgspec.msgpack.Decoder(CancelRequest)
export_job_decoder = msgspec.msgpack.Decoder(ExportJob)
export_state_decoder = msgspec.msgpack.Decoder(ExportState)


class Heartbeat(msgspec.Struct, kw_only=True):
    """Published by every service on ``convoscope.heartbeat.<service>``."""

    v: int = MESSAGES_VERSION
    service: str
    instance: str
    active_jobs: int = 0


heartbeat_decoder = msgspec.msgpack.Decoder(Heartbeat)
