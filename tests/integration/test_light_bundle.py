"""The light bundle the analyzer stores beside the results, and language coverage in the
light document and the dashboard under a filter, on a real nats-server.

The corpus mixes English and Portuguese conversations (the Portuguese ones are not
scored by the English sentiment lexicon), so coverage is below 100 %.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from convoscope_common import names
from convoscope_common.cache import delete_results
from convoscope_common.config import Settings
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.records import JobState
from convoscope_gateway.app import create_app
from convoscope_gateway.state import GATEWAY
from tests.integration.stored_jobs import store_complete_job

pytestmark = pytest.mark.integration

ENGLISH = [
    ("user", "My parser crashes on big files, can you help me fix the memory problem?"),
    ("assistant", "Use a streaming decoder instead of reading everything at once."),
    ("user", "Thanks, this works great now, I really appreciate the explanation."),
]
PORTUGUESE = [
    ("user", "vou abrir uma conta nova no zotero para a maria rita, me de o link por favor"),
    ("assistant", "Claro, aqui está o link para criar a conta no Zotero."),
    ("user", "preciso fazer os mesmos ajustes no meu imac, como faço isso no sistema novo?"),
]


def _corpus() -> Corpus:
    start = datetime(2025, 3, 3, 9, tzinfo=UTC)
    conversations = []
    for c in range(6):
        texts = PORTUGUESE if c % 3 == 0 else ENGLISH
        conversations.append(
            Conversation(
                id=f"c{c}",
                title=f"Talk {c}",
                created_at=start + timedelta(days=c),
                messages=[
                    Message(
                        id=f"c{c}m{i}",
                        role=role,  # type: ignore[arg-type]
                        created_at=start + timedelta(days=c, minutes=i),
                        text=text,
                    )
                    for i, (role, text) in enumerate(texts)
                ],
            )
        )
    return Corpus(conversations=conversations)


async def _store(client: TestClient, job_id: str, *, with_bundle: bool) -> JobState:
    """The analyzer's writes for one complete job (with or without the light bundle)."""
    sha = ("ef" if with_bundle else "12") * 32
    stores = client.app[GATEWAY].stores
    return await store_complete_job(
        stores, _corpus(), job_id, sha=sha, with_light_bundle=with_bundle
    )


@pytest.fixture
async def client(nats_url: str, js: object) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(Settings(nats_url=nats_url)))) as test_client:
        yield test_client


async def test_the_stored_bundle_serves_the_same_document_as_the_full_results(
    client: TestClient,
) -> None:
    bundled = await _store(client, "job_bundled", with_bundle=True)
    plain = await _store(client, "job_plain", with_bundle=False)
    # Read the bundle's light results: the full results object is not needed for them.
    stores = client.app[GATEWAY].stores
    await stores.delete_object(stores.results_data, bundled.cache_key)
    one = await (await client.get(f"/api/analysis/{bundled.job_id}")).json()
    other = await (await client.get(f"/api/analysis/{plain.job_id}")).json()
    for doc in (one, other):
        doc["results"].pop("generated_at")
    assert one["results"] == other["results"]
    assert one["pages"] == {
        name: {**page, "url": page["url"].replace(plain.job_id, bundled.job_id)}
        for name, page in other["pages"].items()
    }
    # Deleting the results deletes the bundle too.
    assert await stores.object_exists(stores.results_data, names.light_object(bundled.cache_key))
    await delete_results(stores, bundled.cache_key)
    assert not await stores.object_exists(
        stores.results_data, names.light_object(bundled.cache_key)
    )


async def test_language_coverage_in_the_light_document_and_under_a_filter(
    client: TestClient,
) -> None:
    job = await _store(client, "job_languages", with_bundle=True)
    light = (await (await client.get(f"/api/analysis/{job.job_id}")).json())["results"]
    sentiment, languages = light["sentiment"], light["languages"]
    # Two Portuguese conversations of two user messages each: never scored in English.
    assert sentiment["not_scored_by_language"] == {"pt": 4}
    assert sentiment["coverage"] == pytest.approx(8 / 12, abs=1e-4)
    assert languages["messages"] == {"en": 8, "pt": 4}
    assert languages["conversations"] == {"en": 4, "pt": 2}
    by_analysis = {c["analysis"]: c for c in languages["coverage"]}
    assert by_analysis["sentiment"]["other_messages"] == {"pt": 4}
    assert "pt" in by_analysis["failure_cues"]["languages"]
    # Unfiltered, the overview recomputes the same numbers from the per-message data.
    mine = await (await client.get(f"/api/analysis/{job.job_id}/overview")).json()
    for name in ("not_scored", "not_scored_by_language", "coverage", "messages"):
        assert mine["sentiment"][name] == sentiment[name], name
    for name in ("messages", "conversations", "coverage"):
        assert mine["languages"][name] == languages[name], name
    # One Portuguese conversation's day: nothing in it is scored.
    day = (await (await client.get(
        f"/api/analysis/{job.job_id}/overview", params={"date_from": "2025-03-03",
                                                        "date_to": "2025-03-03"},
    )).json())  # fmt: skip
    assert day["sentiment"]["messages"] == 0
    assert day["sentiment"]["not_scored_by_language"] == {"pt": 2}
    assert day["sentiment"]["coverage"] == 0.0
    assert day["languages"]["messages"] == {"pt": 2}
    assert day["languages"]["conversations"] == {"pt": 1}


async def test_conversations_by_their_dominant_language(client: TestClient) -> None:
    job = await _store(client, "job_by_language", with_bundle=True)
    url = f"/api/analysis/{job.job_id}/conversations"
    pt = await (await client.get(url, params={"language": "pt"})).json()
    assert sorted(row["conversation_id"] for row in pt["items"]) == ["c0", "c3"]
    both = await (await client.get(url, params=[("language", "pt"), ("language", "en")])).json()
    assert both["total"] == 6
    assert (await (await client.get(url, params={"language": "ja"})).json())["total"] == 0
