"""The light results document and the paginated browsing routes, on a real nats-server.

Results come from the real analyzer pipeline over a small corpus with personal data
and complaints; they are stored the way the analyzer worker stores them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from convoscope_common.cache import USE_RECORD_INTERVAL, delete_results
from convoscope_common.clock import utcnow
from convoscope_common.config import Settings
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.records import JobState
from convoscope_gateway.app import create_app
from convoscope_gateway.auth import owner_digest
from convoscope_gateway.state import GATEWAY
from tests.integration.stored_jobs import store_complete_job

pytestmark = pytest.mark.integration

EMAIL = "jane.doe@example.com"
TEXTS = [
    ("user", f"My parser crashes on big files, mail me at {EMAIL} please?"),
    ("assistant", "Use a streaming decoder instead of reading everything at once."),
    ("user", "That is wrong, it still fails. You ignored my instructions again!"),
    ("assistant", "Sorry, here is the corrected version with a generator."),
    ("user", "Thanks, this works great now, I really appreciate it."),
]
CONVERSATIONS = 7


def _corpus() -> Corpus:
    start = datetime(2025, 3, 3, 9, tzinfo=UTC)  # a Monday
    conversations = []
    for c in range(CONVERSATIONS):
        messages = [
            Message(
                id=f"c{c}m{i}",
                role=role,  # type: ignore[arg-type]
                created_at=start + timedelta(days=c, minutes=i),
                text=text,
                model="claude-sonnet-4" if c % 2 else "claude-opus-4",
            )
            for i, (role, text) in enumerate(TEXTS)
        ]
        conversations.append(
            Conversation(
                id=f"c{c}",
                title=f"Parser talk {c} with {EMAIL}",
                created_at=start + timedelta(days=c),
                messages=messages,
                abandoned_branches=c % 2,
            )
        )
    return Corpus(conversations=conversations)


async def _store_analysis(client: TestClient, owner: str | None, job_id: str) -> JobState:
    """Ingest's and the analyzer's writes for one complete job of ``owner``."""
    sha = ("ab" * 32) if owner is None else ("cd" * 32)
    stores = client.app[GATEWAY].stores
    return await store_complete_job(stores, _corpus(), job_id, sha=sha, owner=owner)


@pytest.fixture
async def client(nats_url: str, js: object) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(Settings(nats_url=nats_url)))) as test_client:
        yield test_client


@pytest.fixture
async def job(client: TestClient) -> JobState:
    return await _store_analysis(client, None, "job_browse")


async def test_light_document_has_the_summary_and_names_the_pages(
    client: TestClient, job: JobState
) -> None:
    resp = await client.get(f"/api/analysis/{job.job_id}")
    assert resp.status == 200
    body = await resp.json()
    results = body["results"]
    assert results["summary"]["conversations"] == CONVERSATIONS
    for section in ("summary", "topics", "quality", "temporal"):  # the seed contract's
        assert results[section] is not None
    assert "by_message" not in results["sentiment"]
    assert "conversations" not in json.dumps(results["topics"]).replace('"conversations":', "")
    assert "findings" not in results["quality"]["failures"]
    assert "message_index" not in results
    assert sum(results["sentiment"]["conversation_labels"].values()) == CONVERSATIONS
    pages = body["pages"]
    assert pages["conversations"] == {
        "url": f"/api/analysis/{job.job_id}/conversations",
        "total": CONVERSATIONS,
    }
    assert pages["messages"]["total"] == CONVERSATIONS * len(TEXTS)
    assert pages["failures"]["total"] == results["quality"]["failures"]["total"]
    assert pages["privacy_findings"]["total"] > 0
    assert EMAIL not in await resp.text()


async def test_conversations_page_through_in_a_stable_order(
    client: TestClient, job: JobState
) -> None:
    url = f"/api/analysis/{job.job_id}/conversations"
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        resp = await client.get(url, params=params)
        assert resp.status == 200
        page = await resp.json()
        assert page["total"] == CONVERSATIONS and page["limit"] == 3
        seen += [row["conversation_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"c{c}" for c in reversed(range(CONVERSATIONS))]  # newest first
    again = await (await client.get(url, params={"limit": "3"})).json()
    assert [r["conversation_id"] for r in again["items"]] == seen[:3]
    row = again["items"][0]
    assert EMAIL not in row["title"] and row["messages"] == len(TEXTS)
    assert row["first_date"] == "2025-03-09" and row["sentiment"] is not None


async def test_filters_select_conversations(client: TestClient, job: JobState) -> None:
    url = f"/api/analysis/{job.job_id}/conversations"
    monday = await (await client.get(url, params={"weekday": "0", "hour": "9"})).json()
    assert [r["conversation_id"] for r in monday["items"]] == ["c0"]
    ranged = await (
        await client.get(url, params={"date_from": "2025-03-04", "date_to": "2025-03-05"})
    ).json()
    assert {r["conversation_id"] for r in ranged["items"]} == {"c1", "c2"}
    sonnet = await (await client.get(url, params={"model": "claude-sonnet-4"})).json()
    assert {r["conversation_id"] for r in sonnet["items"]} == {"c1", "c3", "c5"}
    emails = await (await client.get(url, params={"entity_type": "email"})).json()
    assert emails["total"] == CONVERSATIONS
    nothing = await (await client.get(url, params={"entity_type": "iban"})).json()
    assert nothing["total"] == 0
    light = await (await client.get(f"/api/analysis/{job.job_id}")).json()
    failing = [k for k, n in light["results"]["quality"]["failures"]["by_type"].items() if n]
    assert failing, "the corpus has complaints, so some failure is found"
    for kind in failing:
        found = await (await client.get(url, params={"failure_type": kind})).json()
        assert found["total"] >= 1 and all(r["failures"] >= 1 for r in found["items"])


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"weekday": "9"}, "weekday"),
        ({"sentiment": "Happy"}, "sentiment"),
        ({"date": "March"}, "date"),
        ({"cursor": "!!!"}, "cursor"),
        ({"date_from": "2025-03-05", "date_to": "2025-03-01"}, "date_from"),
        ({"include_pii": "maybe"}, "include_pii"),
    ],
)
async def test_bad_queries_are_422_with_a_sentence(
    client: TestClient, job: JobState, params: dict[str, str], needle: str
) -> None:
    resp = await client.get(f"/api/analysis/{job.job_id}/conversations", params=params)
    assert resp.status == 422
    body = await resp.json()
    assert body["error"] == "validation_error" and needle in body["message"]


async def test_a_cursor_of_another_query_is_refused(client: TestClient, job: JobState) -> None:
    url = f"/api/analysis/{job.job_id}/conversations"
    page = await (await client.get(url, params={"limit": "2"})).json()
    resp = await client.get(url, params={"limit": "2", "model": "x", "cursor": page["next_cursor"]})
    assert resp.status == 422
    forged = base64.urlsafe_b64encode(b"1:nothing").decode()
    assert (await client.get(url, params={"cursor": forged})).status == 422


async def test_one_conversation_with_redacted_messages_and_markers(
    client: TestClient, job: JobState
) -> None:
    resp = await client.get(f"/api/analysis/{job.job_id}/conversations/c2")
    assert resp.status == 200
    body = await resp.json()
    assert body["conversation"]["conversation_id"] == "c2"
    assert [m["message_id"] for m in body["messages"]] == [f"c2m{i}" for i in range(len(TEXTS))]
    assert body["total_messages"] == len(TEXTS) and body["next_cursor"] is None
    first = body["messages"][0]
    assert EMAIL not in first["text"] and "parser crashes" in first["text"]
    assert first["privacy"] and first["sentiment"]["label"]
    assert body["privacy"] and body["quality"]["task_completion"]
    marked = {fid for m in body["messages"] for fid in m["failure_ids"]}
    assert marked == {f["id"] for f in body["failures"]}
    page = await (
        await client.get(f"/api/analysis/{job.job_id}/conversations/c2", params={"limit": "2"})
    ).json()
    assert len(page["messages"]) == 2 and page["next_cursor"]
    missing = await client.get(f"/api/analysis/{job.job_id}/conversations/nope")
    assert missing.status == 404


async def test_messages_failures_and_privacy_pages(client: TestClient, job: JobState) -> None:
    base = f"/api/analysis/{job.job_id}"
    users = await (await client.get(f"{base}/messages", params={"role": "user"})).json()
    assert users["total"] == CONVERSATIONS * 3
    assert all(m["role"] == "user" and m["sentiment"] for m in users["items"])
    assert all(EMAIL not in m["text"] for m in users["items"])
    failures = await (await client.get(f"{base}/failures")).json()
    light = await (await client.get(base)).json()
    assert failures["total"] == light["results"]["quality"]["failures"]["total"]
    privacy = await (await client.get(f"{base}/privacy", params={"entity_type": "email"})).json()
    assert privacy["total"] >= CONVERSATIONS
    assert all(f["entity_type"] == "email" for f in privacy["items"])


async def test_include_pii_follows_the_export_rule(
    client: TestClient, job: JobState, nats_url: str
) -> None:
    url = f"/api/analysis/{job.job_id}/conversations/c0"
    resp = await client.get(url, params={"include_pii": "true"})
    assert resp.status == 403
    settings = Settings(nats_url=nats_url, allow_include_pii=True)
    async with TestClient(TestServer(create_app(settings))) as allowed:
        body = await (await allowed.get(url, params={"include_pii": "true"})).json()
        assert EMAIL in body["messages"][0]["text"]
        redacted = await (await allowed.get(url)).json()
        assert EMAIL not in redacted["messages"][0]["text"]


async def test_a_running_job_cannot_be_browsed(client: TestClient) -> None:
    stores = client.app[GATEWAY].stores
    now = utcnow()
    await stores.put_job(JobState(job_id="job_run", file_id="f", created_at=now, updated_at=now))
    resp = await client.get("/api/analysis/job_run/conversations")
    assert resp.status == 409
    assert (await client.get("/api/analysis/job_none/messages")).status == 404


async def test_my_uploads_and_analyses_per_key_and_after_deleting_an_upload(
    nats_url: str, js: object
) -> None:
    settings = Settings(nats_url=nats_url, api_keys=("key-a", "key-b"))
    async with TestClient(TestServer(create_app(settings))) as keyed:
        mine = await _store_analysis(keyed, owner_digest("key-a"), "job_a")
        a, b = {"X-API-Key": "key-a"}, {"X-API-Key": "key-b"}
        uploads = await (await keyed.get("/api/uploads", headers=a)).json()
        assert [u["file_id"] for u in uploads["items"]] == [mine.file_id]
        assert uploads["items"][0]["analyses"] == 1
        analyses = await (await keyed.get("/api/analyses", headers=a)).json()
        assert [j["job_id"] for j in analyses["items"]] == ["job_a"]
        assert analyses["items"][0]["status"] == "complete"
        assert (await (await keyed.get("/api/uploads", headers=b)).json())["total"] == 0
        assert (await keyed.get("/api/uploads")).status == 401
        # The page and its assets are open: the page asks the person for a key.
        page = await keyed.get("/")
        assert page.status == 200 and "Content-Security-Policy" in page.headers
        asset = (await page.text()).split('src="')[1].split('"')[0]
        assert (await keyed.get(asset)).status == 200
        assert (await keyed.delete(f"/api/upload/{mine.file_id}", headers=b)).status == 404
        resp = await keyed.delete(f"/api/upload/{mine.file_id}", headers=a)
        assert resp.status == 200
        body = await resp.json()
        assert (body["file_id"], body["jobs_deleted"], body["results_deleted"]) == (
            mine.file_id,
            1,
            1,
        )
        stores = keyed.app[GATEWAY].stores
        assert await stores.get_job("job_a") is None
        assert await stores.get_result_index(mine.cache_key) is None
        assert not await stores.object_exists(stores.corpora, "corpus-" + "cd" * 32)
        assert (await keyed.get(f"/api/upload/{mine.file_id}", headers=a)).status == 404
        assert (await (await keyed.get("/api/analyses", headers=a)).json())["total"] == 0


async def test_the_unfiltered_overview_equals_the_engines_numbers(
    client: TestClient, job: JobState
) -> None:
    light = (await (await client.get(f"/api/analysis/{job.job_id}")).json())["results"]
    resp = await client.get(f"/api/analysis/{job.job_id}/overview")
    assert resp.status == 200
    mine = await resp.json()
    for name in ("conversations", "messages", "messages_by_role", "words", "models", "date_range"):
        assert mine["summary"][name] == light["summary"][name], name
    for name in (
        "labels",
        "flags",
        "messages",
        "conversation_labels",
        "not_scored",
        "not_scored_by_language",
        "coverage",
    ):
        assert mine["sentiment"][name] == light["sentiment"][name], name
    assert light["languages"]["messages"], "the light document names the languages"
    for name in ("messages", "conversations", "coverage", "supported"):
        assert mine["languages"][name] == light["languages"][name], name
    assert mine["sentiment"]["mean_compound"] == pytest.approx(
        light["sentiment"]["mean_compound"], abs=1e-3
    )
    assert [p["messages"] for p in mine["sentiment"]["monthly"]] == [
        p["messages"] for p in light["sentiment"]["monthly"]
    ]
    for name in ("task_completion", "collaboration_bands", "conversations"):
        assert mine["quality"][name] == light["quality"][name], name
    for name in ("total", "by_type", "by_severity", "assistant_messages", "failure_rate"):
        assert mine["quality"]["failures"][name] == light["quality"]["failures"][name], name
    for name in ("heatmap", "monthly", "daily", "calendar", "streaks", "sessions", "date_range"):
        assert mine["temporal"][name] == light["temporal"][name], name
    for name in ("total", "counts", "messages_affected", "conversations_affected"):
        assert mine["privacy"][name] == light["privacy"][name], name
    topics = {t["id"]: t for t in light["topics"]["taxonomy"] + light["topics"]["learned"]}
    for t in mine["topics"]["taxonomy"] + mine["topics"]["learned"]:
        assert (t["conversations"], t["monthly"]) == (
            topics[t["id"]]["conversations"],
            topics[t["id"]]["monthly"],
        ), t["id"]


async def test_a_filtered_overview_counts_only_what_the_filter_selects(
    client: TestClient, job: JobState
) -> None:
    url = f"/api/analysis/{job.job_id}/overview"
    sonnet = await (await client.get(url, params={"model": "claude-sonnet-4"})).json()
    assert sonnet["summary"]["conversations"] == 3
    assert sonnet["summary"]["messages"] == 3 * len(TEXTS)
    assert list(sonnet["summary"]["models"]) == ["claude-sonnet-4"]
    days = await (
        await client.get(
            url, params={"date_from": "2025-03-04", "date_to": "2025-03-05", "role": "user"}
        )
    ).json()
    assert days["summary"]["messages"] == 2 * 3
    assert days["temporal"]["date_range"] == ["2025-03-04", "2025-03-05"]
    assert sum(map(sum, days["temporal"]["heatmap"])) == 6
    assert days["quality"]["failures"]["assistant_messages"] == 0
    assert days["privacy"]["counts"]["email"] >= 2
    nothing = await (await client.get(url, params={"conversation_id": "none"})).json()
    assert (
        nothing["summary"]["conversations"] == 0 and nothing["temporal"]["heatmap"][0] == [0] * 24
    )


async def test_reads_look_the_cache_up_once_and_record_their_use_at_most_once_per_interval(
    client: TestClient, job: JobState, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = client.app[GATEWAY].stores
    base = f"/api/analysis/{job.job_id}"
    lookups: list[str] = []
    real_get = stores.results.get

    async def counted_get(key: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(key)
        return await real_get(key, *args, **kwargs)

    monkeypatch.setattr(stores.results, "get", counted_get)

    async def revision() -> int:
        entry = await stores.result_index_entry(job.cache_key)
        assert entry is not None
        return entry[1]

    first = await revision()
    lookups.clear()
    for path in (base, base, f"{base}/conversations", f"{base}/conversations"):
        assert (await client.get(path)).status == 200, path
    assert lookups == [job.cache_key] * 4  # one cache lookup per request
    assert await revision() == first  # used just now: no KV write per GET

    # An entry last used longer ago than the interval is written once, then not again.
    entry = await stores.result_index_entry(job.cache_key)
    assert entry is not None
    long_ago = utcnow() - USE_RECORD_INTERVAL - timedelta(minutes=1)
    await stores.put_result_index(msgspec.structs.replace(entry[0], last_access=long_ago))
    stale = await revision()
    for path in (base, f"{base}/conversations", base):
        assert (await client.get(path)).status == 200, path
    assert await revision() == stale + 1
    used = await stores.result_index_entry(job.cache_key)
    assert used is not None and utcnow() - used[0].last_access < timedelta(minutes=1)


async def test_evicted_results_are_never_served_from_the_gateways_memory(
    client: TestClient, job: JobState
) -> None:
    base = f"/api/analysis/{job.job_id}"
    assert (await client.get(base)).status == 200
    assert (await client.get(f"{base}/conversations")).status == 200
    await delete_results(client.app[GATEWAY].stores, job.cache_key)  # LRU eviction
    for path in (base, f"{base}/conversations", f"{base}/conversations/c0", f"{base}/overview"):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert "no longer cached" in (await resp.json())["message"]
