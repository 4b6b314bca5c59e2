"""What the KV buckets hold, and the state transitions of a job.

Records carry ``v`` like bus messages and evolve the same way (fields added with
defaults). Each is written through :class:`convoscope_common.storage.Stores`, encoded
with :func:`convoscope_common.wire.encode`. Terminal states are final: a record in one
of :data:`TERMINAL_STATUSES` is never claimed or written again (``lease.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from convoscope_common.options import AnalysisOptions
from convoscope_common.wire import MESSAGES_VERSION, ErrorInfo, FileMetadata

TerminalStatus = Literal["complete", "failed", "cancelled"]
JobStatus = Literal["pending", "processing", TerminalStatus]
TERMINAL_STATUSES: frozenset[JobStatus] = frozenset(get_args(TerminalStatus))


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
    # Set on the record of a collection's merged corpus (not an upload of its own):
    # upload lists skip it, and it is deleted with the collection.
    collection_id: str | None = None


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
    # The stream sequence of the message whose run holds the record (shards; 0: not
    # known): only that message's redelivery means the run stopped (shard_worker).
    message_seq: int = 0

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


class ExportedFile(msgspec.Struct, kw_only=True):
    """One file of an export as the exporter stored it (``exports-data``:
    ``<export_id>/<filename>``); the gateway adds its link (``api.ExportFile``)."""

    format: str
    filename: str
    size: int
    content_type: str = "application/octet-stream"


class ExportState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An ``exports`` KV entry (key: export_id)."""

    v: int = MESSAGES_VERSION
    export_id: str
    job_id: str
    status: JobStatus = "pending"
    progress: float = 0.0
    files: list[ExportedFile] = []
    error: ErrorInfo | None = None
    owner: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    attempts: int = 0
    run_id: str = ""
    solo: bool = False
    crashes: int = 0
    message_seq: int = 0  # as in JobState


file_record_decoder = msgspec.msgpack.Decoder(FileRecord)
job_state_decoder = msgspec.msgpack.Decoder(JobState)
result_index_decoder = msgspec.msgpack.Decoder(ResultIndex)
export_state_decoder = msgspec.msgpack.Decoder(ExportState)
