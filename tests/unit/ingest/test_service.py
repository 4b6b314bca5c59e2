"""The ingest service answers every request within its budget with a corpus or a typed
error: faults in any step (read, parse, encode, store) never leave the gateway waiting."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from convoscope_common.config import Settings
from convoscope_common.corpus import decode_corpus
from convoscope_common.storage import ObjectMissingError
from convoscope_common.wire import ParseFailed, ParseOk, ParseRequest, encode
from convoscope_ingest import service as service_module
from convoscope_ingest.health import NOTE_SIZE_OUT_OF_RANGE, NOTE_TIME_OUT_OF_RANGE
from convoscope_ingest.service import IngestService, request_budget


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

    def __init__(self, data: bytes | Exception, *, store_fails: bool = False) -> None:
        self.data = data
        self.uploads = object()
        self.corpora = _Corpora(store_fails)

    async def read_object(self, store: object, name: str) -> bytes:
        if isinstance(self.data, Exception):
            raise self.data
        return self.data

    async def write_object(self, store: _Corpora, name: str, data: bytes) -> None:
        await store.put(name, data)


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

    monkeypatch.setattr(service_module, "encode_corpus", explode)
    reply = await _service(_Stores(_claude())).parse(_request())
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("internal_error", 500)


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
    real_parse = service_module.parse_export

    def slow_parse(data: bytes, **kwargs: Any) -> Any:
        time.sleep(2.0)
        return real_parse(data, **kwargs)

    monkeypatch.setattr(service_module, "parse_export", slow_parse)
    service = _service(_Stores(_claude()), ingest_timeout=1.0)
    assert service.budget == request_budget(1.0) < 1.0
    started = time.perf_counter()
    reply = await service.parse(_request())
    assert time.perf_counter() - started < 1.0
    assert isinstance(reply, ParseFailed)
    assert (reply.error.code, reply.error.status) == ("ingest_timeout", 503)
    # The abandoned thread still runs: the next request waits for it, never overlaps it.
    monkeypatch.setattr(service_module, "parse_export", real_parse)
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
