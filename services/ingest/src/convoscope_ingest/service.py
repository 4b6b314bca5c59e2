"""Ingest over NATS: answer ``convoscope.ingest.parse`` with metadata or a typed error.

The parsing itself is pure (:mod:`convoscope_ingest.parsing`); this module only
moves bytes between the object stores and the parser.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from nats.aio.msg import Msg

from convoscope_common import names
from convoscope_common.corpus import CORPUS_SCHEMA_VERSION, encode_corpus
from convoscope_common.logs import get_logger
from convoscope_common.messages import (
    ErrorInfo,
    ParseFailed,
    ParseOk,
    ParseReply,
    ParseRequest,
    encode,
    parse_request_decoder,
)
from convoscope_common.metrics import Counter, Histogram
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import ObjectMissingError, Stores
from convoscope_ingest.errors import IngestError
from convoscope_ingest.parsing import ParseLimits, parse_export

log = get_logger(__name__)

PARSES = Counter("convoscope_ingest_parses_total", "Parse requests by outcome", ["outcome"])
PARSE_SECONDS = Histogram(
    "convoscope_ingest_parse_seconds",
    "Time to parse and store one upload",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
PARSE_BYTES = Counter("convoscope_ingest_bytes_total", "Bytes of uploads parsed")


def corpus_object_name(file_hash: str) -> str:
    """Corpora are addressed by content hash and schema version."""
    return f"{file_hash.removeprefix('sha256:')}.v{CORPUS_SCHEMA_VERSION}"


class IngestService:
    """Handles parse requests; one request at a time per replica (parsing is CPU-bound)."""

    def __init__(self, ctx: ServiceContext, stores: Stores) -> None:
        self.ctx = ctx
        self.stores = stores
        self.limits = ParseLimits.from_settings(ctx.settings)
        self._lock = asyncio.Lock()
        self.active = 0

    async def handle(self, msg: Msg) -> None:
        reply = await self.parse(msg.data)
        await msg.respond(encode(reply))

    async def parse(self, payload: bytes) -> ParseReply:
        """Parse one request; every failure becomes a :class:`ParseFailed`."""
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
            async with self._lock:
                self.active += 1
                try:
                    reply = await self._parse(req)
                finally:
                    self.active -= 1
            outcome = "ok" if isinstance(reply, ParseOk) else reply.error.code
            PARSES.labels(outcome=outcome).inc()
            PARSE_SECONDS.observe(time.perf_counter() - started)
            log.info("parse_done", outcome=outcome, seconds=round(time.perf_counter() - started, 3))
            return reply

    async def _parse(self, req: ParseRequest) -> ParseReply:
        try:
            data = await self.stores.read_object(self.stores.uploads, req.upload_object)
        except ObjectMissingError:
            return ParseFailed(
                error=ErrorInfo(
                    code="upload_missing",
                    status=404,
                    message="the uploaded file is no longer stored; upload it again",
                )
            )
        PARSE_BYTES.inc(len(data))
        try:
            parsed = await asyncio.to_thread(parse_export, data, limits=self.limits)
        except IngestError as exc:
            return ParseFailed(error=exc.to_error_info())
        except Exception as exc:
            log.error("parse_crashed", error=type(exc).__name__)
            return ParseFailed(
                error=ErrorInfo(
                    code="internal_error",
                    status=500,
                    message="the file could not be processed because of an internal error",
                )
            )
        del data
        name = corpus_object_name(req.file_hash)
        corpus_bytes = await asyncio.to_thread(encode_corpus, parsed.corpus)
        await self.stores.write_object(self.stores.corpora, name, corpus_bytes)
        return ParseOk(corpus_object=name, metadata=parsed.metadata)


async def run(ctx: ServiceContext) -> None:
    """Subscribe in the ``ingest`` queue group until the service stops."""
    stores = await Stores.open(ctx.js)
    service = IngestService(ctx, stores)
    ctx.active_jobs = lambda: service.active
    sub = await ctx.nc.subscribe(names.INGEST_PARSE, queue=names.INGEST_QUEUE, cb=service.handle)
    await ctx.stopping.wait()
    await sub.drain()
