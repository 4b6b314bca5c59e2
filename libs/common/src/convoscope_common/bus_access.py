"""Least-privilege NATS permissions: what each service may publish and subscribe to.

One table (:data:`SERVICE_ACCESS`) says which buckets, object stores, jobs
consumers and core subjects a service uses; :func:`permissions` turns it into
the ``publish`` / ``subscribe`` allow lists of a nats-server user. The launcher
(``convoscope_stack.nats_auth``) and the compose configuration are generated
from it, and ``tests/integration/test_bus_auth.py`` proves each denial.

A user's replies arrive on its own inbox prefix (``_INBOX_<user>``), so no
service can read another's request replies (object chunks, KV reads) by
subscribing to a shared ``_INBOX.>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from convoscope_common import names

# The identity that creates streams, buckets and consumers (the launcher's one-shot
# ``python -m convoscope_common.setup_bus``); no running service holds it.
PROVISIONER = "provisioner"
SERVICES: tuple[str, ...] = ("gateway", "ingest", "analyzer", "exporter")
USERS: tuple[str, ...] = (*SERVICES, PROVISIONER)

_JS = "$JS.API"


@dataclass(frozen=True)
class ServiceAccess:
    """What one service touches on the bus (write implies read, never the reverse)."""

    kv_read: tuple[str, ...] = ()
    kv_write: tuple[str, ...] = ()
    obj_read: tuple[str, ...] = ()
    obj_write: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()  # durable consumers of the jobs stream it pulls from
    publish: tuple[str, ...] = ()  # core subjects (JetStream publishes included)
    subscribe: tuple[str, ...] = ()
    queue_groups: tuple[tuple[str, str], ...] = ()  # (subject, queue)
    replies: bool = False  # answers requests (allow_responses)
    jobs_info: bool = False  # reads consumer state of the jobs stream (queue depth)


SERVICE_ACCESS: dict[str, ServiceAccess] = {
    # The gateway owns the records and deletes on behalf of users, so it writes every
    # bucket; it cannot pull jobs, answer parse requests, or speak as a worker.
    "gateway": ServiceAccess(
        kv_read=names.KV_BUCKETS,
        kv_write=names.KV_BUCKETS,
        obj_read=names.OBJ_STORES,
        obj_write=names.OBJ_STORES,
        publish=(
            names.JOBS_ANALYZE_ALL,
            names.JOBS_EXPORT,
            names.INGEST_PARSE,
            names.INGEST_MERGE,
            names.ANALYZER_DRILLDOWN,
            names.CANCEL_ALL,
            # A job cancelled before any worker took it is announced by the gateway.
            f"{names.PREFIX}.events.*.cancelled",
        ),
        subscribe=(names.EVENTS_ALL, names.HEARTBEAT_ALL),
        jobs_info=True,
    ),
    # Ingest reads raw uploads and writes corpora (and reads them back to merge a
    # collection's); nothing else.
    "ingest": ServiceAccess(
        obj_read=(names.OBJ_UPLOADS, names.OBJ_CORPORA),
        obj_write=(names.OBJ_CORPORA,),
        publish=(names.heartbeat_subject("ingest"),),
        queue_groups=(
            (names.INGEST_PARSE, names.INGEST_QUEUE),
            (names.INGEST_MERGE, names.INGEST_QUEUE),
        ),
        replies=True,
    ),
    # The analyzer never sees raw uploads or export files.
    "analyzer": ServiceAccess(
        kv_read=(
            names.KV_JOBS,
            names.KV_RESULTS,
            names.KV_CANCELS,
            names.KV_FILES,
            names.KV_SHARDS,
        ),
        # result_refs: a run cancelled while storing releases the results it made.
        kv_write=(names.KV_JOBS, names.KV_RESULTS, names.KV_RESULT_REFS, names.KV_SHARDS),
        obj_read=(names.OBJ_CORPORA, names.OBJ_RESULTS),
        obj_write=(names.OBJ_RESULTS,),
        consumers=(
            names.SHARD_DURABLE,
            *(f"{names.ANALYZER_DURABLE}-{p}" for p in names.JOB_PRIORITIES),
        ),
        # Shards of a large job are published by the replica that runs the job.
        publish=(names.EVENTS_ALL, names.heartbeat_subject("analyzer"), names.JOBS_SHARD),
        # The analysis jobs' own subject: its consumer's doorbell (consumer.Doorbell).
        subscribe=(names.CANCEL_ALL, names.JOBS_ANALYZE_ALL),
        queue_groups=((names.ANALYZER_DRILLDOWN, names.ANALYZER_QUEUE),),
        replies=True,
    ),
    # The exporter renders from results and the redacted corpus; never raw uploads.
    "exporter": ServiceAccess(
        kv_read=(names.KV_EXPORTS, names.KV_RESULTS, names.KV_JOBS, names.KV_FILES),
        kv_write=(names.KV_EXPORTS, names.KV_RESULTS),
        obj_read=(names.OBJ_RESULTS, names.OBJ_CORPORA, names.OBJ_EXPORTS),
        obj_write=(names.OBJ_EXPORTS,),
        consumers=(names.EXPORTER_DURABLE,),
        publish=(names.EVENTS_ALL, names.heartbeat_subject("exporter")),
    ),
}


@dataclass(frozen=True)
class Permissions:
    """A nats-server user's permissions."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = False


def inbox_prefix(user: str) -> str:
    """The reply-subject prefix of ``user`` (``_INBOX_<user>``)."""
    return f"_INBOX_{user}"


def kv_stream(bucket: str) -> str:
    return f"KV_{bucket}"


def obj_stream(bucket: str) -> str:
    return f"OBJ_{bucket}"


def _stream_read(stream: str) -> list[str]:
    # Direct/message gets (KV get, object info) and ephemeral consumers (KV watch and
    # keys, object chunk reads), which this user creates, drives and deletes.
    return [
        f"{_JS}.STREAM.MSG.GET.{stream}",
        f"{_JS}.DIRECT.GET.{stream}",
        f"{_JS}.DIRECT.GET.{stream}.>",
        f"{_JS}.CONSUMER.CREATE.{stream}",
        f"{_JS}.CONSUMER.CREATE.{stream}.>",
        f"{_JS}.CONSUMER.INFO.{stream}.*",
        f"{_JS}.CONSUMER.DELETE.{stream}.*",
        f"{_JS}.CONSUMER.MSG.NEXT.{stream}.*",
        f"$JS.FC.{stream}.>",
        f"$JS.ACK.{stream}.>",
    ]


def _stream_write(stream: str, subjects: str) -> list[str]:
    # Writers read too: an object put looks up the current version, a KV update reads it.
    return [
        *_stream_read(stream),
        subjects,
        f"{_JS}.STREAM.PURGE.{stream}",
        f"{_JS}.STREAM.MSG.DELETE.{stream}",
    ]


def permissions(user: str) -> Permissions:
    """The allow lists for ``user`` (a service or the provisioner)."""
    inbox = f"{inbox_prefix(user)}.>"
    # Stream info (config and counts, no data) lets every service bind its handles.
    common_pub = [f"{_JS}.INFO", f"{_JS}.STREAM.INFO.*"]
    if user == PROVISIONER:
        return Permissions(publish=(*common_pub, f"{_JS}.>"), subscribe=(inbox,))
    access = SERVICE_ACCESS[user]
    pub: list[str] = list(common_pub)
    for bucket in access.kv_read:
        pub += _stream_read(kv_stream(bucket))
    for bucket in access.kv_write:
        pub += _stream_write(kv_stream(bucket), f"$KV.{bucket}.>")
    for bucket in access.obj_read:
        pub += _stream_read(obj_stream(bucket))
    for bucket in access.obj_write:
        pub += _stream_write(obj_stream(bucket), f"$O.{bucket}.>")
    jobs = names.JOBS_STREAM
    if access.jobs_info:
        pub.append(f"{_JS}.CONSUMER.INFO.{jobs}.*")
    for consumer in access.consumers:
        pub += [
            f"{_JS}.CONSUMER.INFO.{jobs}.{consumer}",
            f"{_JS}.CONSUMER.MSG.NEXT.{jobs}.{consumer}",
            f"$JS.ACK.{jobs}.{consumer}.>",
        ]
    pub += access.publish
    sub = [inbox, *access.subscribe]
    sub += [f"{subject} {queue}" for subject, queue in access.queue_groups]
    return Permissions(
        publish=tuple(dict.fromkeys(pub)),
        subscribe=tuple(dict.fromkeys(sub)),
        allow_responses=access.replies,
    )
