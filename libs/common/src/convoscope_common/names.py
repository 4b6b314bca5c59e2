"""Every NATS subject, stream, KV bucket and object-store name, in one place."""

from __future__ import annotations

from typing import Literal, get_args

PREFIX = "convoscope"

# Request/reply
INGEST_PARSE = f"{PREFIX}.ingest.parse"
INGEST_QUEUE = "ingest"
# Merge the corpora of a collection's uploads into one corpus (same queue group).
INGEST_MERGE = f"{PREFIX}.ingest.merge"

ANALYZER_DRILLDOWN = f"{PREFIX}.analyzer.drilldown"
ANALYZER_QUEUE = "analyzer"

# Jobs stream (work queue)
JOBS_STREAM = "CONVOSCOPE_JOBS"
JOBS_ANALYZE = f"{PREFIX}.jobs.analyze"
JOBS_ANALYZE_ALL = f"{JOBS_ANALYZE}.*"  # every priority's analysis jobs
JOBS_EXPORT = f"{PREFIX}.jobs.export"
# Priorities are separate subjects so a worker can fetch high before normal before low.
Priority = Literal["high", "normal", "low"]
JOB_PRIORITIES: tuple[Priority, ...] = get_args(Priority)  # fetched in this order
JOBS_SUBJECTS = f"{PREFIX}.jobs.>"
ANALYZER_DURABLE = "analyzer"
# Shards of one large analysis: any analyzer replica takes them, before new jobs.
JOBS_SHARD = f"{PREFIX}.jobs.shard"
SHARD_DURABLE = "analyzer-shard"
EXPORTER_DURABLE = "exporter"

# Fan-out events: convoscope.events.<job_id>.<kind>
EVENTS_ALL = f"{PREFIX}.events.>"
CANCEL_ALL = f"{PREFIX}.control.cancel.*"
HEARTBEAT_ALL = f"{PREFIX}.heartbeat.*"

# KV buckets
KV_FILES = "files"
KV_JOBS = "jobs"
KV_RESULTS = "results"
KV_EXPORTS = "exports"
KV_CANCELS = "cancels"
# One key per job that uses a cached result: "<cache key>.<job_id>" (see ownership.py).
KV_RESULT_REFS = "result-refs"
# One fenced record per shard of a sharded analysis: "<job_id>.<stage>.<index>".
KV_SHARDS = "shards"
# Index records ("file.<file_id>.<job_id>", ...) so no request lists a bucket (owner_index.py).
KV_OWNER_INDEX = "owner-index"
# Named sets of uploads (key: collection id), TTL = upload TTL.
KV_COLLECTIONS = "collections"

# Object stores
OBJ_UPLOADS = "uploads"
OBJ_CORPORA = "corpora"
OBJ_RESULTS = "results-data"
OBJ_EXPORTS = "exports-data"

# Every bucket and store, the one list that provisioning, access rules and tests read.
KV_BUCKETS = (
    KV_FILES,
    KV_JOBS,
    KV_RESULTS,
    KV_RESULT_REFS,
    KV_OWNER_INDEX,
    KV_EXPORTS,
    KV_CANCELS,
    KV_SHARDS,
    KV_COLLECTIONS,
)
OBJ_STORES = (OBJ_UPLOADS, OBJ_CORPORA, OBJ_RESULTS, OBJ_EXPORTS)


def analyze_subject(priority: str = "normal") -> str:
    """The jobs subject for an analysis job of the given priority."""
    return f"{JOBS_ANALYZE}.{priority}"


def export_subject() -> str:
    """The jobs subject for export jobs."""
    return JOBS_EXPORT


def event_subject(job_id: str, kind: str) -> str:
    """The subject a job's events of ``kind`` are published on."""
    return f"{PREFIX}.events.{job_id}.{kind}"


def events_of(job_id: str) -> str:
    """The subject filter for every event of one job (or export)."""
    return f"{PREFIX}.events.{job_id}.*"


def cancel_subject(job_id: str) -> str:
    """The subject that asks the worker holding ``job_id`` to stop."""
    return f"{PREFIX}.control.cancel.{job_id}"


def redacted_corpus_object(cache_key: str) -> str:
    """The name of a result's redacted corpus in the results-data store (the results
    themselves are stored under the cache key)."""
    return f"{cache_key}.corpus"


def pieces_object(collection_id: str) -> str:
    """The name of a collection's reusable analysis pieces in the results-data store (one
    object per collection, replaced by each analysis; incremental analysis reads it)."""
    return f"pieces.{collection_id}"


def light_object(results_object: str) -> str:
    """The name of a result's light document (and page totals) in the results-data store,
    beside the results object it summarises."""
    return f"{results_object}.light"


def export_object(export_id: str, filename: str) -> str:
    """The name of one file of an export in the exports-data store."""
    return f"{export_id}/{filename}"


def heartbeat_subject(service: str) -> str:
    """The subject a service announces itself on (for the gateway's health view)."""
    return f"{PREFIX}.heartbeat.{service}"
