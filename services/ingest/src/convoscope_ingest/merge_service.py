"""Ingest over NATS: answer ``convoscope.ingest.merge`` with a collection's merged corpus.

Reads each member's corpus from the ``corpora`` store, merges them as they are stored
(:func:`convoscope_ingest.raw_merge.merge_encoded`, pure: the same corpus as
:func:`convoscope_ingest.merge.merge_corpora`, without decoding the conversations) and
stores the result there under
a name derived from the members' content hashes, so the analyzer loads it like any
upload's corpus. Runs under the same lock and deadline as parsing; every failure is a
typed :class:`ParseFailed`.

A collection usually grows by one export at a time (a new download every few months):
when the merged corpus of its first members is still stored (the previous analysis
wrote it), the merge starts from it and reads only the newer exports, so its cost does
not grow with the number of exports. The result is the same corpus, byte for byte.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time

import msgspec
import structlog
from nats.aio.msg import Msg

from convoscope_common.collection_types import (
    MergeMember,
    MergeOk,
    MergeReply,
    merge_request_decoder,
)
from convoscope_common.corpus import CORPUS_SCHEMA_VERSION
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter
from convoscope_common.objects import ObjectReadError
from convoscope_common.storage import ObjectMissingError
from convoscope_common.wire import ErrorInfo, ParseFailed, encode
from convoscope_ingest.errors import (
    IngestError,
    IngestInternalError,
    IngestTimeoutError,
    StoreUnavailableError,
)
from convoscope_ingest.parsing import file_metadata
from convoscope_ingest.raw_merge import merge_encoded
from convoscope_ingest.service import IngestService

log = get_logger(__name__)

MERGES = Counter("convoscope_ingest_merges_total", "Collection merges by outcome", ["outcome"])
# Changes whenever merge_corpora may build a different corpus from the same members.
# 2: merged corpora record the conversations they renamed (a merge may start from one).
MERGE_VERSION = 2


def merged_hash(members: list[MergeMember]) -> str:
    """``sha256:<hex>`` naming the merged corpus of these members in this order."""
    material = msgspec.json.encode(
        {
            "merge": MERGE_VERSION,
            "corpus": CORPUS_SCHEMA_VERSION,
            "members": [m.file_hash for m in members],
        }
    )
    return f"sha256:{hashlib.sha256(material).hexdigest()}"


def merged_object_name(file_hash: str) -> str:
    """Merged corpora live beside uploads' corpora, prefixed so they never collide."""
    return f"collection.{file_hash.removeprefix('sha256:')}.v{CORPUS_SCHEMA_VERSION}"


class MergeHandler:
    """Answers merge requests with the parse service's lock, threads and deadline."""

    def __init__(self, service: IngestService) -> None:
        self.service = service
        self._requests: set[asyncio.Task[None]] = set()

    async def handle(self, msg: Msg) -> None:
        """Take the request off the subscription at once (see IngestService.handle)."""
        task = asyncio.create_task(self.answer(msg))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def wait_idle(self) -> None:
        """Wait for the merges in flight (used on shutdown, after the drain)."""
        if self._requests:
            await asyncio.wait(set(self._requests), timeout=self.service.budget + 5.0)

    async def answer(self, msg: Msg) -> None:
        """Answer one merge request."""
        reply = await self.merge(msg.data)
        try:
            await msg.respond(encode(reply))
        except Exception as exc:
            log.error("merge_reply_failed", error=type(exc).__name__)

    async def merge(self, payload: bytes) -> MergeReply:
        """Merge within the budget; every failure becomes a :class:`ParseFailed`."""
        try:
            req = merge_request_decoder.decode(payload)
        except msgspec.DecodeError:
            return _failed("bad_request", 400, "the merge request could not be read")
        if not req.members:
            return _failed("empty_collection", 422, "the collection has no uploads to analyse")
        service = self.service
        with structlog.contextvars.bound_contextvars(collection_id=req.collection_id):
            started = time.perf_counter()
            steps: dict[str, float] = {}
            try:
                async with asyncio.timeout(service.budget):
                    async with service._lock:
                        await service._thread_idle()
                        service.active += 1
                        try:
                            reply = await self._merge(req.members, steps)
                        finally:
                            service.active -= 1
            except TimeoutError:
                reply = ParseFailed(error=IngestTimeoutError().to_error_info())
            except IngestError as exc:
                reply = ParseFailed(error=exc.to_error_info())
            except Exception as exc:
                log.error("merge_crashed", error=type(exc).__name__)
                reply = ParseFailed(error=IngestInternalError().to_error_info())
            outcome = "ok" if isinstance(reply, MergeOk) else reply.error.code
            MERGES.labels(outcome=outcome).inc()
            log.info(
                "merge_done",
                outcome=outcome,
                members=len(req.members),
                seconds=round(time.perf_counter() - started, 3),
                steps=steps,
            )
            return reply

    async def _merge(self, members: list[MergeMember], steps: dict[str, float]) -> MergeReply:
        clock = time.perf_counter()
        try:
            try:
                start = await self._stored_prefix(members)
                encoded, size = await self._read(members, start)
            except _PrefixGone:  # deleted between the look and the read: every export
                start = 0
                encoded, size = await self._read(members, start)
        except _UploadMissing as missing:
            return _failed(
                "upload_missing",
                410,
                f"the upload {missing.file_id} has expired; upload it again or remove it "
                "from the collection",
            )
        except Exception as exc:
            log.warning("corpus_read_failed", error=type(exc).__name__)
            raise StoreUnavailableError("a corpus could not be read; try again") from None
        steps["read"] = _lap(clock)
        steps["from_merged"] = start
        clock = time.perf_counter()
        # The stored corpora merged as they are: conversations are copied, not decoded.
        merged = await self.service._in_thread(functools.partial(merge_encoded, encoded))
        del encoded
        steps["merge"] = _lap(clock)
        clock = time.perf_counter()
        file_hash = merged_hash(members)
        name = merged_object_name(file_hash)
        # Written even when it was the corpus read (the same members again): the store's
        # age limit counts from the write, and the record made for it from now.
        stores = self.service.stores
        try:
            await stores.write_object(stores.corpora, name, merged.encoded)
        except Exception as exc:
            log.warning("merged_corpus_store_failed", error=type(exc).__name__)
            raise StoreUnavailableError() from None
        steps["write"] = _lap(clock)
        shell = merged.corpus
        metadata = file_metadata(
            shell.health,  # type: ignore[attr-defined]
            fmt=merged.format,
            source=merged.source,
            size=size,
            conversations=merged.conversations,
            messages=merged.messages,
            date_range=merged.date_range,
        )
        if len(merged.sources) > 1:  # the metadata says "chatgpt+claude" for a mixed collection
            metadata.source = "+".join(merged.sources)
        return MergeOk(corpus_object=name, file_hash=file_hash, metadata=metadata)

    async def _stored_prefix(self, members: list[MergeMember]) -> int:
        """How many of the first members a stored merged corpus stands for (the longest
        such run of two or more, or all of them: the same collection analysed again;
        0: none is stored)."""
        stores = self.service.stores
        for count in range(len(members), 1, -1):
            name = merged_object_name(merged_hash(members[:count]))
            if await stores.object_exists(stores.corpora, name):
                return count
        return 0

    async def _read(self, members: list[MergeMember], start: int) -> tuple[list[bytearray], int]:
        """The corpora to merge: the merged corpus of the first ``start`` members (when
        ``start``), then the other members'; and the size of every member's corpus.
        Raises :class:`_UploadMissing` for a member whose corpus is gone (those the
        merged corpus stands for too: a collection never outlives its uploads) and
        :class:`_PrefixGone` when the merged corpus is."""
        stores = self.service.stores
        encoded: list[bytearray] = []
        size = 0
        for member in members[:start]:
            try:
                info = await stores.object_info(stores.corpora, member.corpus_object)
                size += info.size or 0
            except ObjectMissingError:
                raise _UploadMissing(member.file_id) from None
        if start:
            name = merged_object_name(merged_hash(members[:start]))
            try:
                encoded.append(await stores.read_object(stores.corpora, name))
            except (ObjectMissingError, ObjectReadError):  # gone, or expiring as it was read
                raise _PrefixGone from None
        for member in members[start:]:
            try:
                data = await stores.read_object(stores.corpora, member.corpus_object)
            except ObjectMissingError:
                raise _UploadMissing(member.file_id) from None
            size += len(data)
            encoded.append(data)
        return encoded, size


class _UploadMissing(Exception):
    def __init__(self, file_id: str) -> None:
        super().__init__(file_id)
        self.file_id = file_id


class _PrefixGone(Exception):
    """The stored merged corpus of the first members went before it was read."""


def _lap(since: float) -> float:
    return round(time.perf_counter() - since, 3)


def _failed(code: str, status: int, message: str) -> ParseFailed:
    return ParseFailed(error=ErrorInfo(code=code, status=status, message=message))
