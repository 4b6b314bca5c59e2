"""Linear-time, bounded reads and writes of JetStream objects.

nats-py's ``ObjectStore.get`` grows its result with ``data += chunk`` for every
128 KiB chunk, which is quadratic (95 MB took 27 s), and it waits for chunks without
a deadline: when the object is rewritten while it is read, the old chunks are purged
and the reader hangs. Here:

- :func:`object_chunks` streams the chunks of one object version (its ``nuid``) in
  batches, each with a deadline, and checks size and SHA-256 at the end — for HTTP
  downloads;
- :func:`read_object` fills one buffer of the announced size (one copy of the data);
- :func:`write_object` publishes the chunks with a bounded window of outstanding
  acknowledgements instead of one round trip per chunk, then the metadata record.

They use the object store's wire layout (``$O.<bucket>.C.<nuid>`` chunks, ``$O.<bucket>.M.<name>``
metadata), which is part of the JetStream object store specification (ADR-20).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from hashlib import sha256
from typing import IO, Any

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext, api
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError, ObjectNotFoundError, ServiceUnavailableError
from nats.js.object_store import ObjectStore

from convoscope_common.retry import retrying

# The chunk size objects are written with, unless the server's max_payload is smaller.
# nats-py's own is 128 KiB. Every chunk costs the writer a publish and an acknowledgement
# and the reader a message, and a service's event loop shares the interpreter lock with
# its computing threads: each wake-up waits for the lock (up to one switch interval).
# With a busy thread beside it, 30 MB took 0.94 s to write and 0.59 s to read in 128 KiB
# chunks, 0.21 s and 0.17-0.29 s in 1 MiB ones (idle: about 0.1 s either way).
CHUNK_SIZE = 1024 * 1024
CHUNK_TIMEOUT = 15.0  # seconds to wait for the next chunk before giving up
READ_BATCH_BYTES = 8 * 1024 * 1024  # chunks fetched per request: this many bytes' worth
WRITE_WINDOW_BYTES = 8 * 1024 * 1024  # chunks awaiting their acknowledgement at once
PUBLISH_SETTLE = 5.0  # seconds a failed write waits for its chunks' answers before purging
_DIGEST_PREFIX = "SHA-256="


class ObjectMissingError(LookupError):
    """An object the caller expected is gone (expired or deleted)."""


class ObjectReadError(RuntimeError):
    """An object could not be read whole: a chunk did not come in time, or the data
    does not match its recorded size or digest (e.g. it was rewritten meanwhile)."""


async def object_info(store: ObjectStore, name: str) -> api.ObjectInfo:
    """The current metadata of ``name``, or :class:`ObjectMissingError`."""
    try:
        info = await store.get_info(name)
    except (ObjectNotFoundError, NotFoundError):
        raise ObjectMissingError(name) from None
    if not info.nuid or info.is_link():
        raise ObjectMissingError(name)
    return info


async def object_chunks(
    store: ObjectStore,
    name: str,
    *,
    info: api.ObjectInfo | None = None,
    chunk_timeout: float = CHUNK_TIMEOUT,
) -> AsyncGenerator[bytes, None]:
    """Yield the chunks of one version of ``name`` in order; verify size and digest.

    An ephemeral pull consumer fetches :data:`READ_BATCH_BYTES` worth of chunks per
    request (about 2.5 times the throughput of the ordered push consumer nats-py uses),
    so memory is bounded by one batch. Objects of any chunk size are read (nats-py's
    128 KiB, this module's :data:`CHUNK_SIZE`). Raises :class:`ObjectReadError` when a
    batch does not arrive within ``chunk_timeout`` or the data does not match the
    metadata.
    """
    info = info or await object_info(store, name)
    size = info.size or 0
    if size == 0:
        return
    js = store._js  # the store's own JetStream context (nats-py keeps it private)
    stream = f"OBJ_{store._name}"
    subscription = await _reader(js, stream, f"$O.{store._name}.C.{info.nuid}", chunk_timeout)
    digest = sha256()
    received = 0
    chunk_size = (info.options.max_chunk_size if info.options else None) or CHUNK_SIZE
    remaining = info.chunks or -(-size // chunk_size)
    per_fetch = max(1, READ_BATCH_BYTES // chunk_size)
    try:
        while remaining > 0 and received < size:
            try:
                # A clustered JetStream can answer a fetch with 503 "no responders" for a
                # moment (the new consumer is not placed yet; CI: an upload's first
                # fetch, right after provisioning three servers). Such a request
                # delivered nothing, so it is asked again; chunks lost otherwise would
                # fail the size and digest check below.
                batch = await retrying(
                    functools.partial(
                        subscription.fetch, min(per_fetch, remaining), timeout=chunk_timeout
                    ),
                    passing=_no_responder,
                    attempts=_REFUSED_ATTEMPTS,
                    pause=_REFUSED_PAUSE,
                    growth=2.0,
                )
            except (TimeoutError, NatsTimeoutError):
                raise ObjectReadError(
                    f"object {name!r}: no chunk for {chunk_timeout:g} s "
                    f"after {received} of {size} bytes"
                ) from None
            for msg in batch:
                digest.update(msg.data)
                received += len(msg.data)
                remaining -= 1
                yield msg.data
    finally:
        await _close(js, stream, subscription)
    if received != size or _digest_text(digest.digest()) != _strip_prefix(info.digest or ""):
        raise ObjectReadError(f"object {name!r}: data does not match its size or digest")


# Creating the reader's consumer, or a fetch, refused for a moment: attempts, and the
# first pause between them (doubled).
_REFUSED_ATTEMPTS = 5
_REFUSED_PAUSE = 0.2


async def _reader(js: JetStreamContext, stream: str, subject: str, chunk_timeout: float) -> Any:
    """The ephemeral pull consumer over one version's chunks.

    On a clustered JetStream a consumer create can answer 503 for a moment (its group
    is being placed, or the stream's leader moves; seen in CI with three servers right
    after provisioning): nothing has been read yet, so it is asked again, a few times,
    before the error goes to the caller.
    """
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE,
        deliver_policy=DeliverPolicy.ALL,
        mem_storage=True,
        # Removed by the server if this reader dies without cleaning up.
        inactive_threshold=max(chunk_timeout * 2, 10.0),
    )
    return await retrying(
        lambda: js.pull_subscribe(subject, stream=stream, config=config),
        passing=_refused_for_a_moment,
        attempts=_REFUSED_ATTEMPTS,
        pause=_REFUSED_PAUSE,
        growth=2.0,
    )


def _refused_for_a_moment(exc: Exception) -> bool:
    return isinstance(exc, NatsTimeoutError) or _no_responder(exc)


def _no_responder(exc: Exception) -> bool:
    if isinstance(exc, ServiceUnavailableError | NoRespondersError):
        return True
    return isinstance(exc, APIError) and exc.code == 503


async def _close(js: JetStreamContext, stream: str, subscription: Any) -> None:
    with contextlib.suppress(Exception):  # best effort: the inactivity threshold is the backstop
        consumer = (await subscription.consumer_info()).name
        await subscription.unsubscribe()
        await js.delete_consumer(stream, consumer)


async def read_object(
    store: ObjectStore, name: str, chunk_timeout: float = CHUNK_TIMEOUT
) -> bytearray:
    """The whole object in one buffer of its recorded size (linear time).

    A ``bytearray``, not ``bytes``: converting would copy it, and for a 100 MB upload
    that second copy was a third of ingest's peak memory. It reads like ``bytes``
    (msgspec, hashlib, zipfile and slicing all take it); callers must not mutate it.

    A version rewritten while it is read (a re-upload of the same bytes writes them
    again to restart their TTL, purging the old chunks) is not an error: the reader
    reads the new version once, so it never sees a mix of the two.
    """
    info = await object_info(store, name)
    try:
        return await _read_version(store, name, info, chunk_timeout)
    except ObjectReadError:
        current = await object_info(store, name)
        if current.nuid == info.nuid:
            raise  # the same version failed: a real read error
        return await _read_version(store, name, current, chunk_timeout)


async def _read_version(
    store: ObjectStore, name: str, info: api.ObjectInfo, chunk_timeout: float
) -> bytearray:
    size = info.size or 0
    buffer = bytearray(size)
    view = memoryview(buffer)
    position = 0
    async for chunk in object_chunks(store, name, info=info, chunk_timeout=chunk_timeout):
        end = position + len(chunk)
        if end > size:
            raise ObjectReadError(f"object {name!r}: more data than its recorded size")
        view[position:end] = chunk
        position = end
    view.release()
    return buffer


async def write_object(
    store: ObjectStore,
    name: str,
    data: bytes | bytearray | memoryview | IO[bytes],
    *,
    window_bytes: int = WRITE_WINDOW_BYTES,
) -> api.ObjectInfo:
    """Store ``data`` (bytes, or a binary file read from its current position) as ``name``.

    A new version: the previous version's chunks are purged after the new metadata is
    written.

    Chunks (:data:`CHUNK_SIZE`, or the server's max_payload when smaller) are published
    with up to ``window_bytes`` of them awaiting their acknowledgement (at least one
    chunk; each holds its bytes: a smaller window holds less memory), every one of
    them checked: an error (e.g. a full store) purges what was written and raises, so
    no reader ever sees a half-written object.
    """
    js = store._js
    bucket = store._name
    stream = f"OBJ_{bucket}"
    chunk_size = chunk_size_for(js)
    in_flight = max(1, window_bytes // chunk_size)
    nuid = js._nc._nuid.next().decode()
    chunk_subject = f"$O.{bucket}.C.{nuid}"
    try:
        previous: api.ObjectInfo | None = await store.get_info(name)
    except (ObjectNotFoundError, NotFoundError):
        previous = None
    digest = sha256()
    window: set[asyncio.Task[Any]] = set()
    chunks = 0
    size = 0
    try:
        async for payload in _payloads(data, chunk_size):
            digest.update(payload)
            size += len(payload)
            window.add(asyncio.ensure_future(js.publish(chunk_subject, payload)))
            chunks += 1
            if len(window) >= in_flight:
                done, window = await asyncio.wait(window, return_when=asyncio.FIRST_COMPLETED)
                await _acknowledged(done)
        await _acknowledged(window)
        window = set()
        info = api.ObjectInfo(
            name=name,
            bucket=bucket,
            nuid=nuid,
            size=size,
            chunks=chunks,
            mtime=datetime.now(UTC).isoformat(),
            digest=_DIGEST_PREFIX + _digest_text(digest.digest()),
            options=api.ObjectMetaOptions(max_chunk_size=chunk_size),
        )
        meta_subject = f"$O.{bucket}.M.{base64.urlsafe_b64encode(name.encode()).decode()}"
        await js.publish(
            meta_subject,
            json.dumps(info.as_dict()).encode(),
            headers={api.Header.ROLLUP: "sub"},
        )
    except BaseException:
        # A chunk already sent is stored or refused whatever becomes of its task: every
        # answer is awaited before the purge, or a chunk stored after it would stay.
        if window:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*window, return_exceptions=True), PUBLISH_SETTLE
                )
        await js.purge_stream(stream, subject=chunk_subject)
        raise
    if previous is not None and previous.nuid and previous.nuid != nuid:
        await js.purge_stream(stream, subject=f"$O.{bucket}.C.{previous.nuid}")
    return info


async def _acknowledged(publishes: set[asyncio.Task[Any]]) -> None:
    """Wait for every publish of ``publishes``; raise the first error among them (every
    one retrieved, so none is reported as never retrieved)."""
    for outcome in await asyncio.gather(*publishes, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


def chunk_size_for(js: JetStreamContext) -> int:
    """The chunk size of the objects written through ``js``: :data:`CHUNK_SIZE`, or the
    largest message its server takes when that is smaller (a server configured with a
    lower ``max_payload`` would refuse every chunk)."""
    limit = js._nc.max_payload  # from the server's INFO; 0 before the first connect
    return min(CHUNK_SIZE, limit) if limit > 0 else CHUNK_SIZE


async def _payloads(
    data: bytes | bytearray | memoryview | IO[bytes], chunk_size: int
) -> AsyncIterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data).cast("B")
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    while True:
        # A spooled upload may be on disk: read it off the event loop.
        payload = await asyncio.to_thread(data.read, chunk_size)
        if not payload:
            return
        yield payload


def _digest_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _strip_prefix(text: str) -> str:
    return text.removeprefix(_DIGEST_PREFIX).removeprefix(_DIGEST_PREFIX.lower())
