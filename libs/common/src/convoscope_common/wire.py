"""Every message that crosses the bus, as msgspec Structs, and their codecs.

Versioning: each bus message, events included, carries ``v`` (``MESSAGES_VERSION``).
New fields are added with defaults only, never reordered or retyped, so a newer
producer and an older consumer keep understanding each other. Where a message can be
one of several kinds it is a tagged union (``kind`` or ``event`` field). Workers
publish ids, never URLs: the gateway turns ids into links (``convoscope_gateway.urls``).

Encoding is msgpack (:func:`encode` / the typed decoders). KV records are in
:mod:`convoscope_common.records`, REST bodies in :mod:`convoscope_common.api`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from convoscope_common.options import AnalysisOptions, ExportOptions

MESSAGES_VERSION = 1


class ErrorInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A typed error travelling as data: machine code, HTTP status, human message."""

    code: str
    status: int = 400
    message: str
    details: str | None = None


# --- ingest (request/reply on convoscope.ingest.parse) ----------------------------------


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
    # Collections only (see corpus.ParseHealth): exports merged, duplicate conversations
    # counted once, and how many of those differed between exports.
    members: int = 0
    duplicates_merged: int = 0
    duplicates_changed: int = 0


class FileMetadata(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Upload metadata (seed fields first, then ours)."""

    size: int
    conversations: int
    messages: int
    date_range: list[str] = []
    format: str = "claude_json"
    source: str = "claude"
    parse_health: ParseHealthSummary = msgspec.field(default_factory=ParseHealthSummary)


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
    """Ingest's answer when the upload parsed: where the corpus is, and its metadata."""

    v: int = MESSAGES_VERSION
    corpus_object: str
    metadata: FileMetadata


class ParseFailed(msgspec.Struct, tag="error", tag_field="kind", kw_only=True):
    """Ingest's answer when the upload did not parse (errors travel as data)."""

    v: int = MESSAGES_VERSION
    error: ErrorInfo


ParseReply = ParseOk | ParseFailed


# --- jobs (JetStream work queue) -------------------------------------------------------


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
    # Set when the corpus is a collection's merged corpus: the analyzer reuses the pieces
    # the collection's previous analysis left (incremental analysis) and keeps new ones.
    collection_id: str | None = None


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


# --- control and events (core NATS) ------------------------------------------------------


class CancelRequest(msgspec.Struct, kw_only=True):
    """Published on ``convoscope.control.cancel.<job_id>``."""

    v: int = MESSAGES_VERSION
    job_id: str


# Events fan out on convoscope.events.<id>.<kind>; ``job_id`` holds the analysis job's
# id, or the export's for an export's events (the gateway tells them apart by prefix).


class ProgressEvent(msgspec.Struct, tag="progress", tag_field="event", kw_only=True):
    """A job's progress: percentage, step, message and the insights found so far."""

    v: int = MESSAGES_VERSION
    job_id: str
    progress: float
    current_step: str = ""
    message: str = ""
    insights: list[str] = []


class CompleteEvent(msgspec.Struct, tag="complete", tag_field="event", kw_only=True):
    """The job finished; the gateway adds where its result is (``results_url``)."""

    v: int = MESSAGES_VERSION
    job_id: str
    status: Literal["complete"] = "complete"


class ErrorEvent(msgspec.Struct, tag="error", tag_field="event", kw_only=True):
    """The job failed."""

    v: int = MESSAGES_VERSION
    job_id: str
    error: str
    details: str | None = None


class CancelledEvent(msgspec.Struct, tag="cancelled", tag_field="event", kw_only=True):
    """The job was cancelled."""

    v: int = MESSAGES_VERSION
    job_id: str
    status: Literal["cancelled"] = "cancelled"


JobEvent = ProgressEvent | CompleteEvent | ErrorEvent | CancelledEvent


class Heartbeat(msgspec.Struct, kw_only=True):
    """Published by every service on ``convoscope.heartbeat.<service>``."""

    v: int = MESSAGES_VERSION
    service: str
    instance: str
    active_jobs: int = 0


# --- drill-down (request/reply on convoscope.analyzer.drilldown) ---------------------------


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
    """The analyzer's answer: one page of ids."""

    v: int = MESSAGES_VERSION
    ids: DrilldownIds


class DrilldownFailed(msgspec.Struct, tag="error", tag_field="kind", kw_only=True):
    """The analyzer's answer when the drill-down cannot be answered."""

    v: int = MESSAGES_VERSION
    error: ErrorInfo


DrilldownReply = DrilldownOk | DrilldownFailed


# --- codecs -------------------------------------------------------------------------------

_encoder = msgspec.msgpack.Encoder()


def encode(msg: msgspec.Struct) -> bytes:
    """Encode any bus message or KV record (msgpack)."""
    return _encoder.encode(msg)


parse_request_decoder = msgspec.msgpack.Decoder(ParseRequest)
parse_reply_decoder = msgspec.msgpack.Decoder(ParseReply)
analyze_job_decoder = msgspec.msgpack.Decoder(AnalyzeJob)
export_job_decoder = msgspec.msgpack.Decoder(ExportJob)
cancel_request_decoder = msgspec.msgpack.Decoder(CancelRequest)
job_event_decoder = msgspec.msgpack.Decoder(JobEvent)
heartbeat_decoder = msgspec.msgpack.Decoder(Heartbeat)
drilldown_request_decoder = msgspec.msgpack.Decoder(DrilldownRequest)
drilldown_reply_decoder = msgspec.msgpack.Decoder(DrilldownReply)
