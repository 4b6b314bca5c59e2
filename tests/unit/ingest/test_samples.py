"""parse_export on the real-shape samples, with counts verified by reading the samples."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from convoscope_common.corpus import decode_corpus, encode_corpus
from convoscope_ingest.parsing import parse_export


def test_claude_current_shape(sample):
    parsed = parse_export(sample("claude_sample.json"))
    meta = parsed.metadata
    assert (meta.conversations, meta.messages) == (3, 6)
    assert meta.format == "claude_json" and meta.source == "claude"
    assert meta.date_range == ["2026-05-14", "2026-06-20"]
    # 3 conversations + 6 visible messages; the trailing empty human turn is skipped.
    assert meta.parse_health.items_parsed == 9
    assert meta.parse_health.skipped_reasons == {"empty message": 1}
    assert meta.parse_health.abandoned_messages == 1
    sourdough, empty, lease = parsed.corpus.conversations
    assert sourdough.title == "Sourdough starter troubleshooting"
    assert sourdough.created_at == datetime(2026, 5, 14, 9, 12, 3, 481265, tzinfo=UTC)
    # The first answer was regenerated: the visible branch holds the second one.
    assert [m.id[-4:] for m in sourdough.messages] == ["4a01", "f603", "8f04", "9b05"]
    assert (sourdough.abandoned_messages, sourdough.abandoned_branches) == (1, 1)
    answer = sourdough.messages[1]
    assert answer.role == "assistant"
    assert answer.text.startswith("That acetone smell is the classic sign")
    assert "Let me check" not in answer.text  # thinking is kept apart
    assert answer.thinking == [
        "Let me check current guidance on acetone smell in starters before answering."
    ]
    assert [(t.name, t.id) for t in answer.tool_uses] == [
        ("web_search", "toolu_01Q8xVbN3mKd7TfZs2LpWq4R")
    ]
    assert msgspec.json.decode(answer.tool_uses[0].input_json) == {
        "query": "sourdough starter acetone smell underfed"
    }
    assert answer.tool_results[0].tool_use_id == "toolu_01Q8xVbN3mKd7TfZs2LpWq4R"
    assert "bakery-notes.example/starter-acetone" in answer.tool_results[0].text
    assert [(c.url, c.start_index, c.end_index) for c in answer.citations] == [
        ("https://bakery-notes.example/starter-acetone", 0, 61),
        ("https://flour-lab.example/guides/starter-temperature", 249, 300),
    ]
    first = sourdough.messages[0]
    assert first.role == "user" and first.text.endswith("Here's my feeding log:")
    assert (
        first.attachments[0].file_name == "" and "Mon: 50g" in first.attachments[0].extracted_text
    )
    assert "Mon: 50g" not in first.text
    assert sourdough.messages[2].files == ["IMG_4412.jpeg"]
    assert empty.title is None and empty.messages == []
    assert lease.title is None
    assert [m.role for m in lease.messages] == ["user", "assistant"]
    assert lease.messages[0].text == "" and lease.messages[0].files == ["lease_agreement.pdf"]
    tools = lease.messages[1]
    assert [t.name for t in tools.tool_uses] == ["create_file", "present_files"]
    assert "This block is not supported" not in tools.text
    assert tools.text.startswith("I've put a one-page summary")


def test_claude_2024_shape_keeps_time_order(sample):
    parsed = parse_export(sample("claude_sample_legacy.json"))
    meta = parsed.metadata
    assert (meta.conversations, meta.messages) == (2, 4)
    assert meta.date_range == ["2024-09-03", "2024-09-03"]
    photos = parsed.corpus.conversations[0]
    assert [m.role for m in photos.messages] == ["user", "assistant", "user", "assistant"]
    assert photos.abandoned_messages == 0
    assert photos.messages[0].files == ["example_photo.jpg"]
    reply = photos.messages[1]
    assert reply.text == (
        "Here is a small script that does that.\n\n"
        "Run it with the folder path as the only argument."
    )
    assert reply.tool_uses[0].name == "artifacts" and reply.tool_uses[0].id is None
    assert reply.tool_results[0].text == "OK"


def test_chatgpt_branches_hidden_nodes_and_models(sample):
    parsed = parse_export(sample("chatgpt_sample.json"))
    meta = parsed.metadata
    assert (meta.conversations, meta.messages) == (3, 6)
    assert meta.format == "chatgpt_json" and meta.source == "chatgpt"
    assert meta.date_range == ["2024-03-14", "2025-12-30"]
    assert meta.parse_health.hidden_messages == 8
    assert meta.parse_health.abandoned_messages == 3
    tap, rainfall, plant = parsed.corpus.conversations
    # Hidden: system, user context, thoughts, reasoning recap.
    assert (tap.hidden_messages, tap.abandoned_messages, tap.abandoned_branches) == (4, 1, 1)
    assert [m.role for m in tap.messages] == ["user", "assistant"]
    assert tap.messages[1].id == "f2c59e38-62a3-4b4c-8075-3e8c1d6f0b57"
    assert tap.messages[1].model == "gpt-5-1-thinking"
    assert tap.messages[1].thinking and "ceramic cartridge" in tap.messages[1].thinking[0]
    assert tap.model == "gpt-5-1"
    assert "Preferred name" not in " ".join(m.text for m in tap.messages)
    # The edited prompt is the visible branch; the first attempt (2 visible) is abandoned.
    assert (rainfall.hidden_messages, rainfall.abandoned_messages) == (1, 2)
    assert rainfall.messages[0].text.startswith("Average these monthly rainfall values in mm")
    assert plant.title is None
    assert plant.hidden_messages == 3
    assert plant.messages[0].files == ["IMG_2031.jpeg"]
    assert plant.messages[0].text == "What plant is this and is it safe for cats?"
    assert [t.name for t in plant.messages[1].tool_uses] == ["web.run"]
    assert plant.messages[1].created_at == datetime.fromtimestamp(1767103360.051926, tz=UTC)


def test_corpus_round_trips_through_msgpack(sample):
    corpus = parse_export(sample("claude_sample.json")).corpus
    assert decode_corpus(encode_corpus(corpus)) == corpus
