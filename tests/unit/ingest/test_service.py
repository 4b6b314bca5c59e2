"""The ingest service answers every request within its budget with a corpus or a typed
error: faults in any step (read, parse, encode, store) never leave the gateway waiting."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import IO, Any

import msgspec
import pytest

from convoscope_common.config import Settings
from convoscope_common.corpus import decode_corpus, encode_corpus
from convoscope_common.objects import ObjectReadError
from convoscope_common.storage import ObjectMissingError
from convoscope_common.wire import ParseFailed, ParseOk, ParseRequest, encode
from convoscope_ingest import corpus_writer
from convoscope_ingest import service as service_module
from convoscope_ingest.errors import IngestError
from convoscope_ingest.health import NOTE_SIZE_OUT_OF_RANGE, NOTE_TIME_OUT_OF_RANGE
from convoscope_ingest.parsing import parse_export
from convoscope_ingest.service import IngestService, request_budget
from convoscope_ingest.streaming import StreamParser


class _Corpora:
    def __init__(self, fail: bool = False) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail = fail

    async def put(self, name: str, data: bytes) -> None:
        if self.fail:
            raise ConnectionError("store down")
        self.objects[name] = data


class _Stores:
    """The two object stores ingest touches, in memory."""

    def __init__(
        self,
        data: bytes | Exception,
        *,
        store_fails: bool = False,
        chunk: int = 5,
        stream_error: Exception | None = None,
    ) -> None:
        self.data = data
        self.uploads = object()
        self.corpora = _Corpora(store_fails)
        self.chunk = chunk
        self.stream_error = stream_error
        self.whole_reads = 0

    async def read_object(self, store: object, name: str) -> bytes:
        self.whole_reads += 1
        if isinstance(self.data, Exception):
            raise self.data
        return self.data

    async def object_info(self, store: object, name: str) -> Any:
        if isinstance(self.data, Exception):
            raise self.data
        return SimpleNamespace(size=len(self.data))

    async def object_chunks(self, store: object, name: str, info: Any) -> AsyncIterator[bytes]:
        assert isinstance(self.data, bytes)
        for start in range(0, len(self.data), self.chunk):
            yield self.data[start : start + self.chunk]
        if self.stream_error is not None:
            raise self.stream_error

    async def write_object(self, store: _Corpora, name: str, data: bytes | IO[bytes]) -> None:
        await store.put(name, data if isinstance(data, bytes) else data.read())


def _service(stores: _Stores, ingest_timeout: float = 30.0) -> IngestService:
    ctx: Any = SimpleNamespace(settings=Settings(ingest_timeout=ingest_timeout))
    return IngestService(ctx, stores)  # type: ignore[arg-type]


def _request() -> bytes:
    return encode(ParseRequest(file_id="f_1", file_hash="sha256:ab", upload_object="ab"))


def _claude(created: str = "2026-01-01T10:00:00Z", **attachment: Any) -> bytes:
    message: dict[str, Any] = {
        "uuid": "m1",
        "sender": "human",
        "created_at": created,
        "content": [{"type": "text", "text": "hello"}],
    }
    if attachment:
        message["attachments"] = [{"file_name": "a.txt", "extracted_content": "x", **attachment}]
    conversation = {"uuid": "c1", "name": "t", "created_at": created, "chat_messages": [message]}
    return json.dumps([conversation]).encode()


async def test_an_attachment_size_beyond_int64_is_dropped_and_noted() -> None:
    stores = _Stores(_claude(file_size=2**70))
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseOk), reply
    assert reply.metadata.parse_health.notes == {NOTE_SIZE_OUT_OF_RANGE: 1}
    corpus = decode_corpus(stores.corpora.objects[reply.corpus_object])
    assert corpus.conversations[0].messages[0].attachments[0].file_size is None


@pytest.mark.parametrize(
    "created",
    ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"],
)
async def test_a_time_no_timezone_can_show_is_dropped_and_noted(created: str) -> None:
    stores = _Stores(_claude(created=created))
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseOk), reply
    # the conversation's created_at and updated_at plus the message's created_at
    assert reply.metadata.parse_health.notes[NOTE_TIME_OUT_OF_RANGE] == 2
    assert reply.metadata.date_range == []
    corpus = decode_corpus(stores.corpora.objects[reply.corpus_object])
    assert corpus.conversations[0].messages[0].created_at is None


async def test_a_failing_encoder_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(corpus: object) -> bytes:
        raise OverflowError("simulated")

    monkeypatch.setattr(corpus_writer, "_encoder", SimpleNamespace(encode=explode))
    reply = await _service(_Stores(_claude())).parse(_request())
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("internal_error", 500)
    # The same on the whole-file path (a shape the streaming parse leaves to parse_export).
    monkeypatch.setattr(service_module, "encode_corpus", explode)
    wrapped = b'{"conversations": ' + _claude() + b"}"
    reply = await _service(_Stores(wrapped)).parse(_request())
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("internal_error", 500)


@pytest.mark.parametrize("chunk", [1, 5, 4096])
async def test_the_streamed_corpus_is_the_one_parse_export_gives(chunk: int) -> None:
    data = _claude() + b"\n"
    stores = _Stores(data, chunk=chunk)
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseOk), reply
    parsed = parse_export(data)
    assert stores.corpora.objects[reply.corpus_object] == encode_corpus(parsed.corpus)
    assert reply.metadata == parsed.metadata
    assert stores.whole_reads == 0  # streamed, never read whole


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'[{"uuid": "c1", "chat_messages": []},, ]', "invalid_json"),
        (b'[{"uuid": "c1", "chat_messages": [\xff]}]', "invalid_json"),
        (b"[" * 100 + b"]" * 100, "json_too_deep"),
        (b"[]", "no_conversations"),
        (b"%PDF-1.7", "binary_file"),
    ],
)
async def test_a_bad_upload_gets_the_error_parse_export_gives(data: bytes, code: str) -> None:
    stores = _Stores(data)
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseFailed)
    with pytest.raises(IngestError) as expected:
        parse_export(data)
    assert (reply.error.code, reply.error.message) == (code, expected.value.message)


async def test_a_stream_that_breaks_off_is_a_503() -> None:
    stores = _Stores(_claude(), stream_error=ConnectionError("bus gone"))
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("store_unavailable", 503)


async def test_an_upload_changed_while_streamed_is_read_again_whole() -> None:
    stores = _Stores(_claude(), stream_error=ObjectReadError("rewritten"))
    reply = await _service(stores).parse(_request())
    assert isinstance(reply, ParseOk), reply
    assert stores.whole_reads == 1


async def test_a_failing_store_is_a_503() -> None:
    reply = await _service(_Stores(_claude(), store_fails=True)).parse(_request())
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("store_unavailable", 503)


async def test_a_failing_read_is_a_503_and_a_missing_upload_a_404() -> None:
    reply = await _service(_Stores(ConnectionError("down"))).parse(_request())
    assert isinstance(reply, ParseFailed) and reply.error.status == 503
    reply = await _service(_Stores(ObjectMissingError("ab"))).parse(_request())
    assert isinstance(reply, ParseFailed) and reply.error.code == "upload_missing"


async def test_a_garbled_request_is_a_400() -> None:
    reply = await _service(_Stores(_claude())).parse(b"\x00not msgpack or json")
    assert isinstance(reply, ParseFailed) and reply.error.status == 400


async def test_a_slow_parse_is_answered_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    real_finish = StreamParser.finish

    def slow_finish(self: StreamParser) -> Any:
        time.sleep(2.0)
        return real_finish(self)

    monkeypatch.setattr(StreamParser, "finish", slow_finish)
    service = _service(_Stores(_claude()), ingest_timeout=1.0)
    assert service.budget == request_budget(1.0) < 1.0
    started = time.perf_counter()
    reply = await service.parse(_request())
    assert time.perf_counter() - started < 1.0
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("ingest_timeout", 503)
    # The abandoned thread still runs: the next request waits for it, never overlaps it.
    monkeypatch.setattr(StreamParser, "finish", real_finish)
    service.budget = 5.0
    started = time.perf_counter()
    reply = await service.parse(_request())
    assert isinstance(reply, ParseOk)
    assert time.perf_counter() - started > 0.5


async def test_requests_are_taken_off_the_subscription_at_once() -> None:
    """Each request's deadline runs from its arrival: a queue of requests behind a slow
    one is answered with timeouts, not left for the gateway to give up on."""
    replies: list[bytes] = []

    class _Msg:
        def __init__(self) -> None:
            self.data = _request()

        async def respond(self, data: bytes) -> None:
            replies.append(data)

    service = _service(_Stores(_claude()))
    for _ in range(3):
        await service.handle(_Msg())  # type: ignore[arg-type]
    await service.wait_idle()
    decoder = msgspec.msgpack.Decoder(ParseOk | ParseFailed)
    assert [type(decoder.decode(r)).__name__ for r in replies] == ["ParseOk"] * 3


def test_budget_leaves_a_margin_for_the_reply() -> None:
    assert request_budget(120.0) == 115.0
    assert request_budget(10.0) == 9.0


async def test_stopping_a_reader_that_swallows_its_cancel_does_not_hang() -> None:
    """nats-py can swallow a cancel while a consumer is closed; the reader then puts into
    a full queue. Before: the parse waited for it until the request's deadline."""
    import asyncio

    from convoscope_ingest.service import _stop_reader

    queue: asyncio.Queue[bytes | None] = asyncio.Queue(1)
    await queue.put(b"first piece")

    async def stubborn_reader() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # swallowed, as nats-py did
        await queue.put(b"last piece")  # blocks: the queue is full
        await queue.put(None)

    reader = asyncio.create_task(stubborn_reader())
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await _stop_reader(reader, queue)
    assert reader.done()
