"""Issue 11 point 5 through the running stack: uploads that used to leave the user
waiting for a 503 (ingest crashing outside any ``try``) are answered at once, dates no
timezone can show never fail the analysis, and deep JSON bodies are a 400, not a 500."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest

from tests.e2e.helpers import DATA, finished, poll_job, start_analysis, upload

# A short ingest deadline: a request ingest fails to answer would surface as a 503 here
# after 10 s instead of 120 s, and the timing assertions below would catch it.
STACK_ENV = {"CONVOSCOPE_INGEST_TIMEOUT": "10"}


def _export(created: str = "2026-01-05T10:00:00Z", **attachment: Any) -> bytes:
    question: dict[str, Any] = {
        "uuid": "m1",
        "sender": "human",
        "created_at": created,
        "content": [{"type": "text", "text": "Summarise the attached notes please"}],
        "parent_message_uuid": "00000000-0000-4000-8000-000000000000",
    }
    if attachment:
        question["attachments"] = [
            {
                "file_name": "notes.txt",
                "file_type": "txt",
                "extracted_content": "notes",
                **attachment,
            }
        ]
    answer = {
        "uuid": "m2",
        "sender": "assistant",
        "created_at": "2026-01-05T10:00:05Z",
        "content": [{"type": "text", "text": "Here is a short summary of your notes."}],
        "parent_message_uuid": "m1",
    }
    conversation = {
        "uuid": "c1",
        "name": "Notes",
        "created_at": created,
        "updated_at": created,
        "chat_messages": [question, answer],
    }
    return json.dumps([conversation]).encode()


@pytest.mark.parametrize(
    ("data", "note"),
    [
        (_export(file_size=2**70), "attachment sizes out of range (dropped)"),
        (_export(created="0001-01-01T00:00:00+14:00"), "timestamps out of range (dropped)"),
        (_export(created="9999-12-31T23:59:59-14:00"), "timestamps out of range (dropped)"),
    ],
    ids=["file_size_2_70", "year_1_plus_14", "year_9999_minus_14"],
)
async def test_out_of_range_values_are_answered_at_once_with_a_note(
    http: aiohttp.ClientSession, data: bytes, note: str
) -> None:
    started = time.monotonic()
    status, body = await upload(http, data, "conversations.json")
    elapsed = time.monotonic() - started
    assert status == 200, body
    assert elapsed < 5.0
    assert body["metadata"]["parse_health"]["notes"][note] >= 1
    assert body["metadata"]["messages"] == 2


async def test_year_one_analysed_in_new_york_completes(http: aiohttp.ClientSession) -> None:
    status, body = await upload(http, _export(created="0001-01-01T00:00:00Z"), "c.json")
    assert status == 200, body
    job = await start_analysis(http, body["file_id"], timezone="America/New_York")
    result = await poll_job(http, job["job_id"], finished)
    assert result["status"] == "complete", result.get("error")
    assert result["results"]["summary"]["messages"] == 2


@pytest.mark.parametrize("depth", [65, 5000])
async def test_deeply_nested_json_body_is_a_400(http: aiohttp.ClientSession, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    async with http.post(
        "/api/analysis", data=body, headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400, await resp.text()
        answer = await resp.json()
    assert "nested" in answer["message"]


async def test_shapes_and_notes_reach_the_upload_answer(http: aiohttp.ClientSession) -> None:
    data = (DATA / "real_shapes" / "claude_tie_ordered.json").read_bytes()
    status, body = await upload(http, data, "conversations.json")
    assert status == 200, body
    health = body["metadata"]["parse_health"]
    assert health["shapes"] == {"claude: conversations without parent links (time order)": 3}
    assert health["notes"]["conversations starting with an assistant message"] == 1
    assert health["files_read_omitted"] == 0


SHAPES = DATA / "real_shapes"


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in SHAPES.glob("*.json") if not p.stem.endswith(".golden"))
)
async def test_every_real_shape_uploads_with_its_golden_health(
    http: aiohttp.ClientSession, name: str
) -> None:
    golden = json.loads((SHAPES / f"{name}.golden.json").read_text())
    status, body = await upload(http, (SHAPES / f"{name}.json").read_bytes(), f"{name}.json")
    assert status == 200, body
    health = body["metadata"]["parse_health"]
    assert health["shapes"] == golden["health"].get("shapes", {})
    assert health["notes"] == golden["health"].get("notes", {})
    messages = sum(len(c["messages"]) for c in golden["conversations"])
    assert body["metadata"]["messages"] == messages
