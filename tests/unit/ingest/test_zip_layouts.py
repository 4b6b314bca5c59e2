"""Export ZIPs as people download them: single, batch folders, batch ZIPs, side files,
ChatGPT shards and Privacy Portal wrappers; batches are merged and deduplicated."""

from __future__ import annotations

import json

import pytest

from convoscope_ingest.parsing import parse_export


def _claude(sample) -> list[dict]:
    return json.loads(sample("claude_sample.json"))


def test_claude_zip_as_downloaded(sample, zip_of):
    data = zip_of(
        {
            "conversations.json": sample("claude_sample.json"),
            "users.json": b'[{"uuid": "u", "email_address": "someone@example.com"}]',
            "projects.json": json.dumps(
                [{"uuid": "p1", "name": "Kitchen", "docs": [{"uuid": "d"}]}]
            ).encode(),
            "memories.json": b'{"conversations_memory": "private"}',
            "chat.html": b"<html></html>",
        }
    )
    parsed = parse_export(data)
    assert parsed.metadata.format == "claude_zip"
    assert (parsed.metadata.conversations, parsed.metadata.messages) == (3, 6)
    assert [(p.id, p.name, p.documents) for p in parsed.corpus.projects] == [("p1", "Kitchen", 1)]
    files = parsed.metadata.parse_health.files_read
    assert "conversations.json" in files and "projects.json" in files
    assert "users.json (noted, not stored)" in files
    assert "memories.json (noted, not stored)" in files


def test_batch_zips_are_merged_and_deduplicated(sample, zip_of):
    conversations = _claude(sample)
    newer = json.loads(json.dumps(conversations[0]))
    newer["updated_at"] = "2026-07-01T00:00:00Z"
    newer["name"] = "Renamed later"
    part0 = zip_of({"conversations.json": json.dumps(conversations[:2]).encode()})
    part1 = zip_of({"conversations.json": json.dumps([newer, conversations[2]]).encode()})
    projects = zip_of({"projects/p9.json": b'{"uuid": "p9", "name": "Taxes"}'})
    data = zip_of(
        {
            "conversations-000.zip": part0,
            "conversations-001.zip": part1,
            "projects-000.zip": projects,
        }
    )
    parsed = parse_export(data)
    corpus = parsed.corpus
    assert len(corpus.conversations) == 3
    assert parsed.metadata.parse_health.skipped_reasons["duplicate conversation"] == 1
    by_id = {c.id: c for c in corpus.conversations}
    assert by_id[conversations[0]["uuid"]].title == "Renamed later"  # the fresher copy wins
    assert [p.name for p in corpus.projects] == ["Taxes"]
    assert "conversations-001.zip:conversations.json" in parsed.metadata.parse_health.files_read


def test_batch_folders_in_one_zip(sample, zip_of):
    conversations = _claude(sample)
    data = zip_of(
        {
            "data-2026-batch-0000/conversations.json": json.dumps(conversations[:1]).encode(),
            "data-2026-batch-0001/conversations.json": json.dumps(conversations[1:]).encode(),
        }
    )
    parsed = parse_export(data)
    assert parsed.metadata.conversations == 3
    assert parsed.metadata.parse_health.items_skipped == 1  # only the empty human turn


def test_chatgpt_shards_and_privacy_portal_wrapper(sample, zip_of):
    conversations = json.loads(sample("chatgpt_sample.json"))
    inner = zip_of(
        {
            "conversations-000.json": json.dumps(conversations[:2]).encode(),
            "conversations-001.json": json.dumps(conversations[2:]).encode(),
            "user.json": b"{}",
            "file-abc.png": b"\x89PNG",
        }
    )
    outer = zip_of({"User Online Activity/Conversations_1-chatgpt-0001.zip": inner})
    parsed = parse_export(outer)
    assert parsed.metadata.format == "chatgpt_zip"
    assert (parsed.metadata.conversations, parsed.metadata.messages) == (3, 6)
    assert parsed.metadata.parse_health.hidden_messages == 8


def test_empty_batch_file_is_tolerated_next_to_a_full_one(sample, zip_of):
    data = zip_of(
        {"a/conversations.json": b"[]", "b/conversations.json": sample("claude_sample.json")}
    )
    parsed = parse_export(data)
    assert parsed.metadata.conversations == 3
    assert "a/conversations.json (empty)" in parsed.metadata.parse_health.files_read


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_inside_zip_member(sample, zip_of, bom):
    data = zip_of({"conversations.json": bom + sample("claude_sample_legacy.json")})
    assert parse_export(data).metadata.conversations == 2
