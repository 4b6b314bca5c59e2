"""Issue 3 point 5 over HTTP: every malformed file gets its clear error, and nothing breaks.

The same manifest (tests/malformed/expected.json) drives the parser's unit tests;
here each file goes through the real gateway and ingest service.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from convoscope_stack.stack import Stack
from tests.e2e.helpers import DATA, REPO, upload

MALFORMED = REPO / "tests" / "malformed"
# A small upload limit, so the streaming 413 test sends little.
STACK_ENV = {
    "CONVOSCOPE_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
    "CONVOSCOPE_UPLOAD_TIMEOUT": "2",
}
EXPECTED: dict[str, dict[str, object]] = json.loads((MALFORMED / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_malformed_file_gets_a_clear_error(http: aiohttp.ClientSession, name: str) -> None:
    expected = EXPECTED[name]
    status, body = await upload(http, (MALFORMED / name).read_bytes(), name)
    assert status == expected["status"], body
    assert body["error"] == expected["code"]
    assert str(expected["message"]).lower() in body["message"].lower()
    assert set(body) <= {"error", "message", "details"}


async def test_rejected_uploads_leave_nothing_behind_and_good_ones_still_work(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    import nats
    from nats.js.errors import NotFoundError

    async def stored_names() -> set[str]:
        try:
            return {info.name for info in await uploads.list(ignore_deletes=True)}
        except NotFoundError:  # an empty store lists as "not found"
            return set()

    nc = await nats.connect(stack.nats_url, **stack.nats_connect_options())
    try:
        uploads = await nc.jetstream().object_store("uploads")
        before = await stored_names()
        for name in ("truncated.json", "zip_bomb_ratio.zip", "image.png"):
            status, _ = await upload(http, (MALFORMED / name).read_bytes(), name)
            assert status >= 400
        status, body = await upload(http, (DATA / "chatgpt_sample.json").read_bytes(), "c.json")
        assert status == 200, body
        after = await stored_names()
        assert after - before == {body["file_hash"].removeprefix("sha256:")}
    finally:
        await nc.close()


async def test_upload_over_the_limit_is_refused_while_streaming(
    http: aiohttp.ClientSession,
) -> None:
    # This module's stack has a 2 MB upload limit (STACK_ENV); send 3 MB without a length.
    async def body():  # type: ignore[no-untyped-def]
        for _ in range(48):
            yield b" " * 65536

    form = aiohttp.FormData()
    form.add_field("file", body(), filename="big.json", content_type="application/json")
    async with http.post("/api/upload", data=form) as resp:
        assert resp.status == 413
        payload = await resp.json()
    assert payload["error"] == "payload_too_large"
    assert "2 MB" in payload["message"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"data": b"not multipart", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"data": aiohttp.FormData({"other": "x"}, default_to_multipart=True)}, 400, "bad_request"),
    ],
)
async def test_upload_request_errors(
    http: aiohttp.ClientSession, kwargs: dict, status: int, code: str
) -> None:
    async with http.post("/api/upload", **kwargs) as resp:
        assert resp.status == status
        assert (await resp.json())["error"] == code


async def test_an_upload_that_trickles_in_too_slowly_gets_408(http: aiohttp.ClientSession) -> None:
    async def trickle():  # type: ignore[no-untyped-def]
        for _ in range(8):  # 8 x 0.5 s, over this stack's 2 s upload timeout
            yield b"[" if _ == 0 else b" "
            await asyncio.sleep(0.5)

    form = aiohttp.FormData()
    form.add_field("file", trickle(), filename="slow.json", content_type="application/json")
    async with http.post("/api/upload", data=form) as resp:
        assert resp.status == 408
        body = await resp.json()
    assert body["error"] == "request_timeout"
    assert "2 s" in body["message"]
