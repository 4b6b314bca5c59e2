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

CHUNK_SIZE = 128 * 1024
CHUNK_TIMEOUT = 15.0  # seconds to wait for the next chunk before giving up
READ_BATCH = 64  # chunks (8 MiB) per fetch
WRITE_WINDOW = 64  # chunk publishes awaiting their acknowledgement at once
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

    An ephemeral pull consumer fetches :data:`READ_BATCH` chunks per request (about
    2.5 times the throughput of the ordered push consumer nats-py uses), so memory is
    bounded by one batch. Raises :class:`ObjectReadError` when a batch does not arrive
    within ``chunk_timeout`` or the data does not match the metadata.
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
    remaining = info.chunks or -(-size // CHUNK_SIZE)
    try:
        while remaining > 0 and received < size:
            try:
                batch = await subscription.fetch(min(READ_BATCH, remaining), timeout=chunk_timeout)
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


# Creating the reader's consumer: attempts, and the first pause between them (doubled).
_SUBSCRIBE_ATTEMPTS = 5
_SUBSCRIBE_PAUSE = 0.2


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
    pause = _SUBSCRIBE_PAUSE
    for attempt in range(1, _SUBSCRIBE_ATTEMPTS + 1):
        try:
            return await js.pull_subscribe(subject, stream=stream, config=config)
        except (ServiceUnavailableError, NoRespondersError, NatsTimeoutError):
            if attempt == _SUBSCRIBE_ATTEMPTS:
                raise
        except APIError as exc:
            if exc.code != 503 or attempt == _SUBSCRIBE_ATTEMPTS:
                raise
        await asyncio.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")  # the last attempt returns or raises


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
    in_flight: int = WRITE_WINDOW,
) -> api.ObjectInfo:
    """Store ``data`` (bytes, or a binary file read from its current position) as ``name``.

    A new version: the previous version's chunks are purged after the new metadata is
    written.

    Chunks are published with up to ``in_flight`` (:data:`WRITE_WINDOW`) acknowledgements
    outstanding (each holds its chunk: a smaller window holds less memory),
    every one of them checked: an error (e.g. a full store) purges what was written
    and raises, so no reader ever sees a half-written object.
    """
    js = store._js
    bucket = store._name
    stream = f"OBJ_{bucket}"
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
        async for payload in _payloads(data):
            digest.update(payload)
            size += len(payload)
            window.add(asyncio.ensure_future(js.publish(chunk_subject, payload)))
            chunks += 1
            if len(window) >= in_flight:
                done, window = await asyncio.wait(window, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        if window:
            for outcome in await asyncio.gather(*window, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
            window = set()
        info = api.ObjectInfo(
            name=name,
            bucket=bucket,
            nuid=nuid,
            size=size,
            chunks=chunks,
            mtime=datetime.now(UTC).isoformat(),
            digest=_DIGEST_PREFIX + _digest_text(digest.digest()),
            options=api.ObjectMetaOptions(max_chunk_size=CHUNK_SIZE),
        )
        meta_subject = f"$O.{bucket}.M.{base64.urlsafe_b64encode(name.encode()).decode()}"
        await js.publish(
            meta_subject,
            json.dumps(info.as_dict()).encode(),
            headers={api.Header.ROLLUP: "sub"},
        )
    except BaseException:
        for task in window:
            task.cancel()
        await js.purge_stream(stream, subject=chunk_subject)
        raise
    if previous is not None and previous.nuid and previous.nuid != nuid:
        await js.purge_stream(stream, subject=f"$O.{bucket}.C.{previous.nuid}")
    return info


async def _payloads(data: bytes | bytearray | memoryview | IO[bytes]) -> AsyncIterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data).cast("B")
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])
        return
    while True:
        # A spooled upload may be on disk: read it off the event loop.
        payload = await asyncio.to_thread(data.read, CHUNK_SIZE)
        if not payload:
            return
        yield payload


def _digest_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _strip_prefix(text: str) -> str:
    return text.removeprefix(_DIGEST_PREFIX).removeprefix(_DIGEST_PREFIX.lower())
