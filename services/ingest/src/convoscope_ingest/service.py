"""Ingest over NATS: answer ``convoscope.ingest.parse`` with metadata or a typed error.

The parsing itself is pure (:mod:`convoscope_ingest.parsing`); this module only
moves bytes between the object stores and the parser. Every step of a request
(decode, read, parse, encode, store, reply) is guarded, and the whole request runs
under a deadline shorter than the gateway's wait, so the gateway always gets an
answer: the corpus, or an error it can show.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from nats.aio.msg import Msg
from nats.js import api

from convoscope_common import names
from convoscope_common.corpus import CORPUS_SCHEMA_VERSION, encode_corpus
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter, Histogram
from convoscope_common.objects import ObjectReadError
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import ObjectMissingError, Stores
from convoscope_common.wire import (
    ErrorInfo,
    ParseFailed,
    ParseOk,
    ParseReply,
    ParseRequest,
    encode,
    parse_request_decoder,
)
from convoscope_ingest.corpus_writer import StreamedCorpus
from convoscope_ingest.errors import (
    IngestError,
    IngestInternalError,
    IngestTimeoutError,
    StoreUnavailableError,
)
from convoscope_ingest.parsing import ParsedExport, ParseLimits, parse_export
from convoscope_ingest.streaming import Fallback, StreamParser

log = get_logger(__name__)

PARSES = Counter("convoscope_ingest_parses_total", "Parse requests by outcome", ["outcome"])
PARSE_SECONDS = Histogram(
    "convoscope_ingest_parse_seconds",
    "Time to parse and store one upload",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
PARSE_BYTES = Counter("convoscope_ingest_bytes_total", "Bytes of uploads parsed")

# The streaming parse is fed this much at a time, with at most this many pieces queued.
_FEED_BYTES = 1 << 20
_QUEUED_FEEDS = 4
# The reply must reach the gateway before its own ``ingest_timeout`` ends.
_MAX_REPLY_MARGIN = 5.0
T = TypeVar("T")


def corpus_object_name(file_hash: str) -> str:
    """Corpora are addressed by content hash and schema version."""
    return f"{file_hash.removeprefix('sha256:')}.v{CORPUS_SCHEMA_VERSION}"


def request_budget(ingest_timeout: float) -> float:
    """Seconds one request may take here: the gateway's wait minus a margin for the reply."""
    return max(0.5, ingest_timeout - min(_MAX_REPLY_MARGIN, ingest_timeout * 0.1))


class IngestService:
    """Handles parse requests; one parse at a time per replica (parsing is CPU-bound)."""

    def __init__(self, ctx: ServiceContext, stores: Stores) -> None:
        self.ctx = ctx
        self.stores = stores
        self.limits = ParseLimits.from_settings(ctx.settings)
        self.budget = request_budget(ctx.settings.ingest_timeout)
        self._lock = asyncio.Lock()
        # A parse thread outlives a request that timed out (threads cannot be stopped);
        # the next request waits for it, so parses never overlap.
        self._thread: asyncio.Future[Any] | None = None
        self._requests: set[asyncio.Task[None]] = set()
        self.active = 0

    async def handle(self, msg: Msg) -> None:
        """Take a request off the subscription at once, so its deadline runs from its
        arrival, not from when the request before it finished (nats-py delivers one
        message per subscription at a time; the lock still runs one parse at a time)."""
        task = asyncio.create_task(self.answer(msg))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def wait_idle(self) -> None:
        """Wait for the requests in flight (used on shutdown, after the drain)."""
        if self._requests:
            await asyncio.wait(set(self._requests), timeout=self.budget + _MAX_REPLY_MARGIN)

    async def answer(self, msg: Msg) -> None:
        """Answer one request; even a failed reply is answered with a short error."""
        reply = await self.parse(msg.data)
        try:
            await msg.respond(encode(reply))
        except Exception as exc:
            log.error("reply_failed", error=type(exc).__name__)
            fallback = ParseFailed(error=IngestInternalError().to_error_info())
            try:
                await msg.respond(encode(fallback))
            except Exception as again:
                log.error("reply_failed_twice", error=type(again).__name__)

    async def parse(self, payload: bytes) -> ParseReply:
        """Parse one request within the budget; every failure becomes a :class:`ParseFailed`."""
        try:
            req = parse_request_decoder.decode(payload)
        except Exception:
            return ParseFailed(
                error=ErrorInfo(
                    code="bad_request", status=400, message="the parse request could not be read"
                )
            )
        with structlog.contextvars.bound_contextvars(file_id=req.file_id):
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.budget):
                    async with self._lock:
                        await self._thread_idle()
                        self.active += 1
                        try:
                            reply = await self._parse(req)
                        finally:
                            self.active -= 1
            except TimeoutError:
                reply = ParseFailed(error=IngestTimeoutError().to_error_info())
            except IngestError as exc:
                reply = ParseFailed(error=exc.to_error_info())
            except Exception as exc:  # a bug: still an answer, and a log line to find it
                log.error("parse_crashed", error=type(exc).__name__)
                reply = ParseFailed(error=IngestInternalError().to_error_info())
            outcome = "ok" if isinstance(reply, ParseOk) else reply.error.code
            PARSES.labels(outcome=outcome).inc()
            PARSE_SECONDS.observe(time.perf_counter() - started)
            log.info("parse_done", outcome=outcome, seconds=round(time.perf_counter() - started, 3))
            return reply

    async def _parse(self, req: ParseRequest) -> ParseReply:
        try:
            info = await self.stores.object_info(self.stores.uploads, req.upload_object)
        except ObjectMissingError:
            return _upload_missing()
        except Exception as exc:
            log.warning("upload_read_failed", error=type(exc).__name__)
            raise StoreUnavailableError("the uploaded file could not be read; try again") from None
        size = info.size or 0
        PARSE_BYTES.inc(size)
        name = corpus_object_name(req.file_hash)
        streamed = await self._stream(req.upload_object, info, size)
        corpus: StreamedCorpus | bytes
        if streamed is None:
            # Not the plain case (or the upload changed while read): the whole file,
            # the classic way, which gives the exact error or the corpus.
            parsed = await self._parse_whole(req.upload_object)
            if isinstance(parsed, ParseFailed):
                return parsed
            metadata = parsed.metadata
            corpus = await self._in_thread(functools.partial(encode_corpus, parsed.corpus))
            del parsed
        else:
            metadata, corpus = streamed.metadata, streamed
        try:
            data = corpus.reader() if isinstance(corpus, StreamedCorpus) else corpus
            await self.stores.write_object(self.stores.corpora, name, data)
        except Exception as exc:
            log.warning("corpus_store_failed", error=type(exc).__name__)
            raise StoreUnavailableError() from None
        return ParseOk(corpus_object=name, metadata=metadata)

    async def _stream(self, upload: str, info: api.ObjectInfo, size: int) -> StreamedCorpus | None:
        """Parse the upload while its chunks arrive; None when the whole file must be read.

        A reader task fills a small queue (:data:`_FEED_BYTES` per item) while a thread
        parses the previous piece, so reading and parsing overlap.
        """
        parser = StreamParser(size, self.limits)  # an IngestError here is the answer
        queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(_QUEUED_FEEDS)
        reader = asyncio.create_task(self._read_chunks(upload, info, queue))
        try:
            while (piece := await queue.get()) is not None:
                if isinstance(piece, ObjectReadError | ObjectMissingError):
                    return None  # changed or gone meanwhile: read_object says which
                if isinstance(piece, BaseException):
                    raise StoreUnavailableError(
                        "the uploaded file could not be read; try again"
                    ) from None
                await self._in_thread(functools.partial(parser.feed, piece))
                del piece
            return await self._in_thread(parser.finish)
        except Fallback:
            log.info("parse_fallback")
            return None
        finally:
            await _stop_reader(reader, queue)

    async def _read_chunks(
        self, upload: str, info: api.ObjectInfo, queue: asyncio.Queue[bytes | BaseException | None]
    ) -> None:
        """Queue the upload in pieces of about :data:`_FEED_BYTES`, then None; a failure
        is queued as the exception, for the parsing side to decide."""
        pending: list[bytes] = []
        pending_bytes = 0
        try:
            # Closed here, not by the garbage collector, when the parse stops reading
            # early: its consumer is removed before the whole-file read starts.
            chunks = self.stores.object_chunks(self.stores.uploads, upload, info)
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    pending.append(chunk)
                    pending_bytes += len(chunk)
                    if pending_bytes >= _FEED_BYTES:
                        await queue.put(b"".join(pending))
                        pending, pending_bytes = [], 0
            if pending:
                await queue.put(b"".join(pending))
            await queue.put(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("upload_stream_failed", error=type(exc).__name__)
            await queue.put(exc)

    async def _parse_whole(self, upload: str) -> ParsedExport | ParseFailed:
        try:
            data = await self.stores.read_object(self.stores.uploads, upload)
        except ObjectMissingError:
            return _upload_missing()
        except Exception as exc:
            log.warning("upload_read_failed", error=type(exc).__name__)
            raise StoreUnavailableError("the uploaded file could not be read; try again") from None
        return await self._in_thread(functools.partial(parse_export, data, limits=self.limits))

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        """Run CPU-bound work off the loop; a timeout abandons the wait, not the thread."""
        future = asyncio.get_running_loop().run_in_executor(None, fn)
        future.add_done_callback(_consume)
        self._thread = future
        return await asyncio.shield(future)

    async def _thread_idle(self) -> None:
        thread = self._thread
        if thread is not None and not thread.done():
            await asyncio.wait([thread])


async def _stop_reader(reader: asyncio.Task[None], queue: asyncio.Queue[Any]) -> None:
    """Stop the chunk reader and wait for it, never blocking on a full queue.

    nats-py can swallow a cancellation that arrives while the reader closes its
    consumer (seen in tests: the reader then went on to a put into the full queue and
    the request hung until its deadline); so the cancel is repeated and the queue kept
    drained until the reader has ended.
    """
    while not reader.done():
        reader.cancel()
        while not queue.empty():
            queue.get_nowait()
        await asyncio.wait([reader], timeout=0.05)
    with contextlib.suppress(asyncio.CancelledError):
        await reader


def _upload_missing() -> ParseFailed:
    return ParseFailed(
        error=ErrorInfo(
            code="upload_missing",
            status=404,
            message="the uploaded file is no longer stored; upload it again",
        )
    )


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve the result of an abandoned thread so asyncio does not warn about it."""
    if not future.cancelled():
        future.exception()


async def run(ctx: ServiceContext) -> None:
    """Subscribe in the ``ingest`` queue group until the service stops."""
    stores = await Stores.open(ctx.js)
    service = IngestService(ctx, stores)
    ctx.active_jobs = lambda: service.active
    # Imported here: the merge handler builds on this module's service.
    from convoscope_ingest.merge_service import MergeHandler

    merges = MergeHandler(service)
    sub = await ctx.nc.subscribe(names.INGEST_PARSE, queue=names.INGEST_QUEUE, cb=service.handle)
    merge_sub = await ctx.nc.subscribe(
        names.INGEST_MERGE, queue=names.INGEST_QUEUE, cb=merges.handle
    )
    await ctx.stopping.wait()
    await sub.drain()  # type: ignore[no-untyped-call]
    await merge_sub.drain()  # type: ignore[no-untyped-call]
    await service.wait_idle()
    await merges.wait_idle()
