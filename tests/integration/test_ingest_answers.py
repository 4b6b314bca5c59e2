"""Uploads through the gateway in-process and a real ingest service on a real nats-server:
a parse that outruns its budget is answered with a typed 503 before the gateway gives
up, and a reply the gateway cannot read is a JSON 503, not a 500 (issue 11 point 5)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import nats
import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.corpus import encode_corpus
from convoscope_common.storage import Stores
from convoscope_gateway.app import create_app
from convoscope_ingest.errors import IngestError
from convoscope_ingest.parsing import parse_export
from convoscope_ingest.service import IngestService
from convoscope_ingest.streaming import StreamParser
from tests.export_texts import load_generator
from tests.zips import make_zip

pytestmark = pytest.mark.integration

INGEST_TIMEOUT = 3.0
EXPORT = json.dumps(
    [
        {
            "uuid": "c1",
            "name": "t",
            "chat_messages": [
                {"uuid": "m1", "sender": "human", "content": [{"type": "text", "text": "hi"}]}
            ],
        }
    ]
).encode()


@pytest.fixture
async def client(nats_url: str, js: JetStreamContext) -> AsyncIterator[TestClient]:
    settings = Settings(nats_url=nats_url, ingest_timeout=INGEST_TIMEOUT, rate_limit_per_minute=0)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def _upload(client: TestClient, data: bytes) -> tuple[int, dict[str, Any], float]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="c.json", content_type="application/json")
    started = time.monotonic()
    resp = await client.post("/api/upload", data=form)
    return resp.status, await resp.json(), time.monotonic() - started


async def test_a_parse_past_its_budget_is_a_typed_503_before_the_gateway_gives_up(
    client: TestClient, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_finish = StreamParser.finish

    def slow_finish(self: StreamParser) -> Any:
        time.sleep(INGEST_TIMEOUT + 1)
        return real_finish(self)

    monkeypatch.setattr(StreamParser, "finish", slow_finish)
    nc = await nats.connect(nats_url)
    try:
        ctx: Any = SimpleNamespace(settings=Settings(ingest_timeout=INGEST_TIMEOUT))
        service = IngestService(ctx, await Stores.open(nc.jetstream()))
        await nc.subscribe(names.INGEST_PARSE, queue=names.INGEST_QUEUE, cb=service.handle)
        status, body, elapsed = await _upload(client, EXPORT)
        assert (status, body["error"]) == (503, "ingest_timeout"), body
        assert elapsed < INGEST_TIMEOUT  # ingest's own answer, not the gateway's timeout
        # The abandoned parse finishes before the next one starts; that one succeeds.
        monkeypatch.setattr(StreamParser, "finish", real_finish)
        status, body, _ = await _upload(client, EXPORT + b" ")
        assert status == 200, body
        await service.wait_idle()
    finally:
        await nc.drain()


async def test_an_unreadable_ingest_reply_is_a_json_503(client: TestClient, nats_url: str) -> None:
    nc = await nats.connect(nats_url)

    async def garbled(msg: Msg) -> None:
        await msg.respond(b"\xc1 not a reply")

    try:
        await nc.subscribe(names.INGEST_PARSE, queue=names.INGEST_QUEUE, cb=garbled)
        status, body, _ = await _upload(client, EXPORT)
        assert status == 503, body
        assert body["error"] == "service_unavailable"
    finally:
        await nc.drain()


async def test_uploads_are_streamed_into_the_corpus_parse_export_would_store(
    client: TestClient, nats_url: str
) -> None:
    """Real object-store chunks (several feeds of 1 MiB, chunk boundaries anywhere):
    the stored corpus is byte for byte ``encode_corpus(parse_export(upload))``."""
    generator = load_generator()
    claude = generator.generate_claude_export(900, seed=5)
    chatgpt = generator.generate_chatgpt_export(300, seed=6)
    assert len(claude) > 3 << 20  # several feeds, many object chunks
    uploads = [claude, make_zip({"conversations.json": chatgpt, "user.json": b"{}"})]
    # A key without its colon, in the middle of the file (never inside a string).
    key = claude.index(b'"chat_messages":', len(claude) // 2)
    malformed = claude[:key] + b'"chat_messages" ' + claude[key + len(b'"chat_messages":') :]
    nc = await nats.connect(nats_url)
    try:
        ctx: Any = SimpleNamespace(settings=Settings(ingest_timeout=60.0))
        stores = await Stores.open(nc.jetstream())
        service = IngestService(ctx, stores)
        await nc.subscribe(names.INGEST_PARSE, queue=names.INGEST_QUEUE, cb=service.handle)
        for data in uploads:
            status, body, _ = await _upload(client, data)
            assert status == 200, body
            parsed = parse_export(data)
            record = await stores.get_file(body["file_id"])
            assert record is not None and record.corpus_object
            stored = await stores.read_object(stores.corpora, record.corpus_object)
            assert bytes(stored) == encode_corpus(parsed.corpus)
            assert body["metadata"]["messages"] == parsed.metadata.messages
        status, body, _ = await _upload(client, malformed)
        with pytest.raises(IngestError) as expected:
            parse_export(malformed)
        assert (status, body["error"]) == (400, "invalid_json"), body
        assert body["message"] == expected.value.message  # with its line and column
        await service.wait_idle()
    finally:
        await nc.drain()
