"""Idempotent creation of the JetStream streams, consumers, KV buckets and object stores.

Every service calls :func:`provision` at start-up; whichever runs first creates
the resources, the others find them. Changed settings (TTLs) are applied by
updating the existing stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, NotFoundError, ServerError

from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.logs import get_logger
from convoscope_common.retry import retrying

log = get_logger(__name__)

KV_MAX_BYTES = 256 * 1024 * 1024  # each bucket: records are small, this is a backstop
JOBS_STREAM_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Retention:
    """How long and how much one bucket or object store keeps (None: no limit of that kind)."""

    ttl: float | None
    max_bytes: int


def retention_plan(settings: Settings) -> dict[str, Retention]:
    """Every bucket and object store with its retention; docs/operations.md lists it."""
    return {
        f"KV_{names.KV_FILES}": Retention(settings.upload_ttl, KV_MAX_BYTES),
        f"KV_{names.KV_JOBS}": Retention(settings.result_ttl, KV_MAX_BYTES),
        f"KV_{names.KV_RESULTS}": Retention(settings.result_ttl, KV_MAX_BYTES),
        f"KV_{names.KV_RESULT_REFS}": Retention(settings.result_ttl, KV_MAX_BYTES),
        # An index record lives as long as the longest-lived thing it can point to.
        f"KV_{names.KV_OWNER_INDEX}": Retention(
            max(settings.upload_ttl, settings.result_ttl, settings.export_ttl), KV_MAX_BYTES
        ),
        f"KV_{names.KV_EXPORTS}": Retention(settings.export_ttl, KV_MAX_BYTES),
        f"KV_{names.KV_CANCELS}": Retention(3600.0, KV_MAX_BYTES),
        f"KV_{names.KV_SHARDS}": Retention(settings.result_ttl, KV_MAX_BYTES),
        f"KV_{names.KV_COLLECTIONS}": Retention(settings.upload_ttl, KV_MAX_BYTES),
        f"OBJ_{names.OBJ_UPLOADS}": Retention(settings.upload_ttl, settings.store_max_bytes),
        f"OBJ_{names.OBJ_CORPORA}": Retention(settings.upload_ttl, settings.store_max_bytes),
        f"OBJ_{names.OBJ_RESULTS}": Retention(settings.result_ttl, 2 * settings.cache_max_size),
        f"OBJ_{names.OBJ_EXPORTS}": Retention(settings.export_ttl, settings.store_max_bytes),
    }


def jobs_stream_config(settings: Settings) -> api.StreamConfig:
    """The work-queue stream that carries analysis and export jobs; a job nobody took
    expires with its record, and a full stream refuses new jobs (the gateway says 507)."""
    return api.StreamConfig(
        name=names.JOBS_STREAM,
        subjects=[names.JOBS_SUBJECTS],
        retention=api.RetentionPolicy.WORK_QUEUE,
        storage=api.StorageType.FILE,
        max_msg_size=1024 * 1024,
        max_age=settings.result_ttl,
        max_bytes=JOBS_STREAM_MAX_BYTES,
        discard=api.DiscardPolicy.NEW,
        num_replicas=settings.nats_replicas,
    )


def analyzer_consumer_config(priority: str, settings: Settings) -> api.ConsumerConfig:
    """One durable pull consumer per priority, so workers can drain high first."""
    return api.ConsumerConfig(
        durable_name=f"{names.ANALYZER_DURABLE}-{priority}",
        name=f"{names.ANALYZER_DURABLE}-{priority}",
        filter_subject=names.analyze_subject(priority),
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=-1,  # the worker itself turns repeated failures into a failed job
        max_ack_pending=1000,
    )


def shard_consumer_config(settings: Settings) -> api.ConsumerConfig:
    """The durable pull consumer of analysis shards (taken by any analyzer replica)."""
    return api.ConsumerConfig(
        durable_name=names.SHARD_DURABLE,
        name=names.SHARD_DURABLE,
        filter_subject=names.JOBS_SHARD,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=-1,  # the shard's record counts the runs that stopped (lease.claim)
        max_ack_pending=1000,
    )


def exporter_consumer_config(settings: Settings) -> api.ConsumerConfig:
    """The durable pull consumer of export jobs."""
    return api.ConsumerConfig(
        durable_name=names.EXPORTER_DURABLE,
        name=names.EXPORTER_DURABLE,
        filter_subject=names.export_subject(),
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=-1,
        max_ack_pending=1000,
    )


# nats-server answers 500/10049 "error creating store for stream" while the files of a
# stream of the same name, deleted a moment ago, are still being removed (seen in CI).
_STORE_BUSY = 10049
_STORE_BUSY_TRIES = 20


async def _create(make: Callable[[], Awaitable[object]]) -> None:
    """Run ``make`` (a stream, bucket or store creation), waiting out a store still in removal."""
    await retrying(
        make,
        passing=lambda e: isinstance(e, ServerError) and e.err_code == _STORE_BUSY,
        attempts=_STORE_BUSY_TRIES,
        pause=0.1,
    )


# nats-server answers 500/10047 "insufficient storage resources available" when a
# stream's max_bytes does not fit in what it may still reserve (unless configured: 75 %
# of the disk that was free when it started). A machine with less free disk than the
# configured object stores still runs, with proportionally smaller stores (a full store
# answers 507); an existing store is never shrunk by a restart.
_NO_ROOM = 10047
SMALLEST_OBJECT_STORE = 64 * 1024 * 1024
_ROOM_STEP = 16 * 1024 * 1024
_ROOM_PROBE = "CONVOSCOPE_ROOM_PROBE"


def _no_room(error: ServerError) -> bool:
    return error.err_code == _NO_ROOM


async def _create_or_update(
    js: JetStreamContext,
    stream: str,
    create: Callable[[], Awaitable[object]],
    update: Callable[[], Awaitable[object]],
) -> None:
    """Create a stream (bucket, store); if it exists, bring it up to date instead.

    Services provision at once: on a cluster a creation can be refused as a duplicate of
    another service's creation that the stream's update does not see yet (404). Both
    are tried again, briefly, before the error stands.
    """
    await retrying(
        lambda: _create_then_update(js, stream, create, update),
        passing=lambda e: isinstance(e, NotFoundError),
        attempts=_CONCURRENT_TRIES,
        pause=0.2,
        on_retry=lambda n: log.info("stream_provisioning_raced", stream=stream, attempt=n - 1),
    )


_CONCURRENT_TRIES = 10


async def _create_then_update(
    js: JetStreamContext,
    stream: str,
    create: Callable[[], Awaitable[object]],
    update: Callable[[], Awaitable[object]],
) -> None:
    try:
        await _create(create)
    except BadRequestError:
        await update()  # exists with another configuration
    except ServerError as error:
        # nats-server checks the room a creation would reserve before it notices the
        # stream exists: on a full disk an existing stream is answered "no room".
        if not _no_room(error) or not await _exists(js, stream):
            raise
        await update()


async def _exists(js: JetStreamContext, stream: str) -> bool:
    try:
        await js.stream_info(stream)
    except NotFoundError:
        return False
    return True


async def _ensure_stream(js: JetStreamContext, config: api.StreamConfig) -> None:
    assert config.name is not None
    await _create_or_update(
        js, config.name, lambda: js.add_stream(config), lambda: js.update_stream(config)
    )


async def _ensure_kv(js: JetStreamContext, bucket: str, keep: Retention, replicas: int) -> None:
    config = api.KeyValueConfig(
        bucket=bucket,
        ttl=keep.ttl,
        history=1,
        max_bytes=keep.max_bytes,
        storage=api.StorageType.FILE,
        replicas=replicas,
    )
    # Exists with other settings (a changed TTL): keep its data, apply the limits.
    await _create_or_update(
        js,
        f"KV_{bucket}",
        lambda: js.create_key_value(config),
        lambda: _apply_retention(js, f"KV_{bucket}", keep, replicas),
    )


async def _ensure_object_stores(
    js: JetStreamContext, plan: dict[str, Retention], replicas: int
) -> None:
    wanted = [(store, plan[f"OBJ_{store}"]) for store in names.OBJ_STORES]
    scale = 1.0
    for i, (store, keep) in enumerate(wanted):
        sized = replace(keep, max_bytes=int(keep.max_bytes * scale))
        try:
            await _ensure_object_store(js, store, sized, replicas)
        except ServerError as error:
            if not _no_room(error) or scale < 1.0:
                raise
            rest = sum(k.max_bytes for _, k in wanted[i:])
            scale = await _room(js, rest, replicas) / rest
            sized = replace(keep, max_bytes=int(keep.max_bytes * scale))
            if sized.max_bytes < SMALLEST_OBJECT_STORE:
                raise
            await _ensure_object_store(js, store, sized, replicas)
        if sized.max_bytes != keep.max_bytes:
            log.warning(
                "object_store_reduced_to_fit",
                store=store,
                configured_bytes=keep.max_bytes,
                granted_bytes=sized.max_bytes,
            )


async def _room(js: JetStreamContext, upper: int, replicas: int) -> int:
    """How many bytes one more stream of ``replicas`` may still reserve (up to
    ``upper``), found by creating and deleting an empty probe stream."""
    with contextlib.suppress(NotFoundError):  # left by a start that died mid-probe
        await js.delete_stream(_ROOM_PROBE)
    fits, too_big = 0, upper
    while too_big - fits > _ROOM_STEP:
        size = (fits + too_big) // 2
        probe = api.StreamConfig(
            name=_ROOM_PROBE, max_bytes=size, storage=api.StorageType.FILE, num_replicas=replicas
        )
        try:
            await _create(partial(js.add_stream, probe))
        except ServerError as error:
            if not _no_room(error):
                raise
            too_big = size
        else:
            await js.delete_stream(_ROOM_PROBE)
            fits = size
    return fits


async def _ensure_object_store(
    js: JetStreamContext, bucket: str, keep: Retention, replicas: int
) -> None:
    config = api.ObjectStoreConfig(
        ttl=keep.ttl,
        max_bytes=keep.max_bytes,
        storage=api.StorageType.FILE,
        replicas=replicas,
    )
    await _create_or_update(
        js,
        f"OBJ_{bucket}",
        lambda: js.create_object_store(bucket, config=config),
        lambda: _apply_retention(js, f"OBJ_{bucket}", keep, replicas),
    )


async def _apply_retention(
    js: JetStreamContext, stream: str, keep: Retention, replicas: int
) -> None:
    info = await js.stream_info(stream)
    current_bytes = info.config.max_bytes
    wanted_age = keep.ttl or 0.0
    if (
        (info.config.max_age or 0.0) != wanted_age
        or info.config.max_bytes != keep.max_bytes
        or (info.config.num_replicas or 1) != replicas
    ):
        info.config.max_age = wanted_age
        info.config.max_bytes = keep.max_bytes
        info.config.num_replicas = replicas
        # A full store refuses writes instead of dropping the oldest chunks of an object.
        info.config.discard = api.DiscardPolicy.NEW
        try:
            await js.update_stream(info.config)
        except ServerError as error:
            if not _no_room(error) or current_bytes is None or current_bytes <= 0:
                raise
            # No room to grow it: keep the size it has, apply the rest.
            info.config.max_bytes = current_bytes
            await js.update_stream(info.config)
        log.info(
            "stream_retention_updated",
            stream=stream,
            ttl=wanted_age,
            bytes=info.config.max_bytes,
        )


async def _ensure_consumer(js: JetStreamContext, config: api.ConsumerConfig) -> None:
    try:
        await js.add_consumer(names.JOBS_STREAM, config=config)
    except BadRequestError:
        # Exists with other settings (e.g. ack_wait): replace it. Work-queue messages
        # stay in the stream, so nothing waiting is lost.
        assert config.durable_name is not None
        await js.delete_consumer(names.JOBS_STREAM, config.durable_name)
        await js.add_consumer(names.JOBS_STREAM, config=config)
        log.info("consumer_replaced", consumer=config.durable_name)


async def provision(js: JetStreamContext, settings: Settings) -> None:
    """Create (or find) every JetStream resource ConvoScope uses."""
    await _ensure_stream(js, jobs_stream_config(settings))
    for priority in names.JOB_PRIORITIES:
        await _ensure_consumer(js, analyzer_consumer_config(priority, settings))
    await _ensure_consumer(js, shard_consumer_config(settings))
    await _ensure_consumer(js, exporter_consumer_config(settings))
    plan = retention_plan(settings)
    for bucket in names.KV_BUCKETS:
        await _ensure_kv(js, bucket, plan[f"KV_{bucket}"], settings.nats_replicas)
    await _ensure_object_stores(js, plan, settings.nats_replicas)


def stream_names() -> list[str]:
    """Every JetStream stream :func:`provision` creates."""
    return [names.JOBS_STREAM, *retention_plan(Settings())]


async def ensure_provisioned(
    js: JetStreamContext, settings: Settings, poll: float = 0.5, timeout: float | None = None
) -> None:
    """Provision (no bus credentials) or wait until the provisioner has (authenticated bus).

    A service with its own NATS user holds no right to create or reconfigure
    streams (a stream's republish setting would bypass every permission), so it
    only waits for the launcher's ``setup_bus`` step to have run.
    """
    if not settings.nats_user:
        await provision(js, settings)
        return
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    missing = stream_names()
    while missing:
        still: list[str] = []
        for stream in missing:
            try:
                await js.stream_info(stream)
            except (NotFoundError, TimeoutError, NatsTimeoutError):
                # Not there yet, or a bus too busy to answer in time: ask again.
                still.append(stream)
        missing = still
        if not missing:
            return
        if deadline is not None and loop.time() > deadline:
            raise TimeoutError(f"streams not provisioned: {', '.join(missing)}")
        log.info("waiting_for_provisioning", missing=len(missing))
        await asyncio.sleep(poll)
