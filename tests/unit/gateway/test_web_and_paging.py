"""The web app's static serving (CSP, hashed long-lived assets), cursor paging, and the
light results document."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from convoscope_common.light import collaboration_band, light_results, page_totals
from convoscope_common.results import (
    AnalysisResults,
    ConversationQuality,
    ConversationSentiment,
    Failure,
    FailureSummary,
    MessageRecord,
    MessageSentiment,
    PrivacyFinding,
    PrivacyReport,
    Quality,
    Sentiment,
    Summary,
    Topic,
    Topics,
)
from convoscope_gateway import web as webapp
from convoscope_gateway.errors import error_middleware
from convoscope_gateway.paging import encode_cursor, page_request, slice_page

STATIC = webapp.STATIC


@pytest.fixture
async def client() -> TestClient:
    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/", webapp.get_index)
    app.router.add_get("/assets/{build}/{path:.+}", webapp.get_asset)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_page_has_a_strict_csp_and_names_the_current_build(client: TestClient) -> None:
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["Cache-Control"] == "no-cache"
    html = await resp.text()
    assert "/assets/BUILD/" not in html
    assert f"/assets/{webapp.build_id()}/js/app.js" in html


async def test_assets_are_immutable_under_their_build_and_gzipped(client: TestClient) -> None:
    url = f"/assets/{webapp.build_id()}/js/app.js"
    resp = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["Content-Type"].startswith("text/javascript")
    assert resp.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(await resp.read())
    assert body == (STATIC / "js" / "app.js").read_bytes()
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert await plain.read() == (STATIC / "js" / "app.js").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/assets/0000000000000000/js/app.js",  # an old build: reload the page
        "/assets/{build}/js/nothing.js",
        "/assets/{build}/index.html",
        "/assets/{build}/../web.py",
        "/assets/{build}/%2e%2e/web.py",
        "/assets/{build}/js/%00.js",
        "/assets/{build}/" + "x" * 5000,
    ],
)
async def test_unknown_or_outside_assets_are_404(client: TestClient, path: str) -> None:
    resp = await client.get(path.format(build=webapp.build_id()))
    assert resp.status == 404


def test_web_paths_are_the_page_and_its_assets_only() -> None:
    assert webapp.is_web_path("/") and webapp.is_web_path("/assets/x/y.js")
    assert not webapp.is_web_path("/api/uploads") and not webapp.is_web_path("/metrics")


def test_own_sources_load_nothing_from_outside_the_origin() -> None:
    own = [*STATIC.glob("*.html"), *STATIC.glob("js/*.js"), *STATIC.glob("css/*.css")]
    assert own
    for path in own:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|@import", text), path.name
        for target in re.findall(r"from '([^']+)'", text):
            assert target.startswith("./") or target.startswith("../vendor/"), (path, target)
            assert (path.parent / target).resolve().is_file(), (path, target)


def test_every_vendored_library_has_its_license_and_version() -> None:
    vendor = STATIC / "vendor"
    notes = (Path(__file__).resolve().parents[3] / "docs" / "web.md").read_text(encoding="utf-8")
    for lib, version in (("echarts", "6.1.0"), ("socket.io", "4.8.1")):
        assert (vendor / lib / "LICENSE").is_file(), lib
        assert version in notes, lib


# --- paging ----------------------------------------------------------------------------


def test_cursors_walk_every_item_once_in_order() -> None:
    items = list(range(23))
    query = [("model", "m"), ("limit", "5")]
    seen: list[int] = []
    cursor = None
    while True:
        page = page_request(query + ([("cursor", cursor)] if cursor else []), "x")
        chunk, cursor = slice_page(items, page)
        seen += chunk
        if cursor is None:
            break
    assert seen == items


def test_a_cursor_is_bound_to_its_query_and_route() -> None:
    page = page_request([("model", "m")], "conversations")
    cursor = encode_cursor(5, page.scope)
    assert page_request([("model", "m"), ("cursor", cursor)], "conversations").offset == 5
    for query, extra in (([("model", "n")], "conversations"), ([("model", "m")], "messages")):
        with pytest.raises(Exception, match="another query"):
            page_request([*query, ("cursor", cursor)], extra)


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limits_outside_the_range_are_refused(limit: str) -> None:
    with pytest.raises(Exception, match="limit"):
        page_request([("limit", limit)])


# --- light results ---------------------------------------------------------------------


def _results(n: int) -> AnalysisResults:
    ids = [f"c{i}" for i in range(n)]
    return AnalysisResults(
        summary=Summary(conversations=n, messages=2 * n, empty_conversation_ids=["e"]),
        topics=Topics(
            taxonomy=[
                Topic(id="t", label="T", kind="taxonomy", conversations=n, conversation_ids=ids)
            ]
        ),
        sentiment=Sentiment(
            by_message=[
                MessageSentiment(conversation_id=c, message_id="m", compound=0.5, label="Positive")
                for c in ids
            ],
            by_conversation=[
                ConversationSentiment(conversation_id=c, start=0, end=1, delta=1, label="Positive")
                for c in ids
            ],
        ),
        quality=Quality(
            conversations=[
                ConversationQuality(
                    conversation_id=c,
                    task_completion="completed",
                    completion_confidence=1,
                    collaboration_score=i / n,
                )
                for i, c in enumerate(ids)
            ],
            failures=FailureSummary(
                total=n,
                findings=[
                    Failure(
                        id=f"f{c}",
                        type="formatting",
                        severity="low",
                        evidence="user_complaint",
                        conversation_id=c,
                        message_id="m",
                    )
                    for c in ids
                ],
            ),
        ),
        privacy=PrivacyReport(
            total=n,
            findings=[
                PrivacyFinding(conversation_id=c, message_id="m", entity_type="email") for c in ids
            ],
        ),
        message_index=[MessageRecord(conversation_id=c, message_id="m", role="user") for c in ids],
    )


def test_the_light_document_does_not_grow_with_the_conversations() -> None:
    small = len(msgspec.json.encode(light_results(_results(10))))
    large = len(msgspec.json.encode(light_results(_results(10_000))))
    full = len(msgspec.json.encode(_results(10_000)))
    assert large - small < 200  # only a few counts grow by digits
    assert large * 100 < full
    light = light_results(_results(10))
    assert light.sentiment is not None and light.sentiment.conversation_labels == {"Positive": 10}
    assert light.quality is not None and sum(light.quality.collaboration_bands.values()) == 10
    assert light.summary.empty_conversation_ids == []
    assert page_totals(_results(10)) == {
        "conversations": 10,
        "messages": 10,
        "failures": 10,
        "privacy_findings": 10,
    }


@pytest.mark.parametrize(
    ("score", "band"), [(0.0, "0.0-0.2"), (0.19, "0.0-0.2"), (0.5, "0.4-0.6"), (1.0, "0.8-1.0")]
)
def test_collaboration_bands(score: float, band: str) -> None:
    assert collaboration_band(score) == band


def test_socket_origins_are_the_configured_ones_and_the_gateways_own() -> None:
    from convoscope_common.config import Settings
    from convoscope_gateway.cors import socket_origin_check

    allowed = socket_origin_check(Settings(cors_origins=("https://app.example",)))
    env = {"HTTP_HOST": "127.0.0.1:5000", "wsgi.url_scheme": "http"}
    assert allowed("http://127.0.0.1:5000", env)  # the web app at /
    assert allowed("https://app.example", env)
    assert allowed(None, env)  # not a browser
    assert not allowed("https://evil.example", env)
    assert not allowed("http://127.0.0.1:5001", env)
    proxied = {**env, "HTTP_X_FORWARDED_HOST": "scope.example", "HTTP_X_FORWARDED_PROTO": "https"}
    assert allowed("https://scope.example", proxied)
