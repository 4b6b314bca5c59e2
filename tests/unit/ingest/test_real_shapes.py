"""One hand-written fixture per real-export shape (tests/data/real_shapes/), each with a
golden normalised corpus: what is kept as text, what is counted, what parse health says.

Regenerate the goldens after a deliberate change with
``CONVOSCOPE_UPDATE_GOLDEN=1 pytest tests/unit/ingest/test_real_shapes.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_ingest import health as notes
from convoscope_ingest.parsing import parse_export

SHAPES = Path(__file__).resolve().parents[2] / "data" / "real_shapes"
FIXTURES = sorted(p.stem for p in SHAPES.glob("*.json") if not p.stem.endswith(".golden"))
UPDATE = os.environ.get("CONVOSCOPE_UPDATE_GOLDEN") == "1"

# What parse health must name for each fixture (every shape the fixture was written for).
EXPECTED_SHAPES: dict[str, set[str]] = {
    "claude_tie_ordered": {"claude: conversations without parent links (time order)"},
    "claude_token_budget": {"claude: token_budget blocks"},
    "claude_thinking": {
        "claude: thinking blocks",
        "claude: thinking blocks with signature",
        "claude: thinking blocks cut off",
        "claude: thinking blocks with summaries only",
    },
    "claude_mcp_tools": {
        "claude: MCP tool calls",
        "claude: tool calls with approval_key",
        "claude: tool results with knowledge items",
        "claude: tool results with local_resource items",
    },
    "claude_2024_inline_tags": {
        "claude: conversations without parent links (time order)",
        "claude: inline <antArtifact> tags",
        "claude: inline <antThinking> tags",
        "claude: text-only messages (no content blocks)",
    },
    "claude_web_api_single": {
        "claude: single conversation object (not a list)",
        "claude: web-API conversation (current_leaf_message_uuid)",
        "claude: files_v2 uploads",
    },
    "chatgpt_broken_current_node": set(),
    "chatgpt_dangling_parent": set(),
    "chatgpt_parent_only": {"chatgpt: trees only through parent links (children empty)"},
    "chatgpt_sparse_nodes": {
        "chatgpt: messages without status, weight or metadata",
        "chatgpt: parts holding objects",
        "chatgpt: visible messages with null create_time",
        "chatgpt: conversations with null title",
        "chatgpt: model only in default_model_slug",
        "chatgpt: image_asset_pointer parts",
    },
    "chatgpt_voice": {
        "chatgpt: voice parts (audio_transcription)",
        "chatgpt: voice parts (real_time_user_audio_video_asset_pointer)",
        "chatgpt: voice parts (audio_asset_pointer)",
    },
    "chatgpt_images": {
        "chatgpt: image_asset_pointer parts",
        "chatgpt: sediment:// asset pointers",
        "chatgpt: answers made of generated images only",
    },
    "chatgpt_reasoning": {"chatgpt: thoughts nodes", "chatgpt: reasoning_recap nodes"},
    "chatgpt_canvas_memory": {
        "chatgpt: canvas (canmore.*) tool messages",
        "chatgpt: memory (bio) tool messages",
    },
    "chatgpt_custom_gpt_actions": {
        "chatgpt: custom GPT conversations",
        "chatgpt: custom GPT action messages",
    },
}
EXPECTED_NOTES: dict[str, set[str]] = {
    "claude_tie_ordered": {
        notes.NOTE_TIE_ORDER,
        notes.NOTE_NOT_ALTERNATING,
        notes.NOTE_STARTS_WITH_ASSISTANT,
    },
    "chatgpt_broken_current_node": {
        notes.NOTE_LEAF_MISSING,
        notes.NOTE_LEAF_DANGLING,
        notes.NOTE_LEAF_EMPTY_BRANCH,
    },
    "chatgpt_dangling_parent": {notes.NOTE_DANGLING_PARENT},
}


def _normalised(name: str) -> dict[str, Any]:
    parsed = parse_export((SHAPES / f"{name}.json").read_bytes())
    return json.loads(msgspec.json.encode(parsed.corpus))


def test_every_fixture_is_listed() -> None:
    assert set(FIXTURES) == set(EXPECTED_SHAPES)


@pytest.mark.parametrize("name", FIXTURES)
def test_normalised_corpus_matches_its_golden(name: str) -> None:
    golden = SHAPES / f"{name}.golden.json"
    corpus = _normalised(name)
    if UPDATE:
        golden.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden for {name}: run with CONVOSCOPE_UPDATE_GOLDEN=1"
    assert corpus == json.loads(golden.read_text())


@pytest.mark.parametrize("name", FIXTURES)
def test_parse_health_names_each_shape_met(name: str) -> None:
    health = _normalised(name)["health"]
    assert EXPECTED_SHAPES[name] <= set(health.get("shapes", {}))
    assert set(health.get("notes", {})) == EXPECTED_NOTES.get(name, set())


def test_tie_ordered_export_opens_with_an_answer_only_where_the_export_does() -> None:
    conversations = _normalised("claude_tie_ordered")["conversations"]
    firsts = {c["id"]: c["messages"][0]["role"] for c in conversations}
    assert firsts == {"tie-0001": "user", "tie-0002": "user", "tie-0003": "assistant"}
    roles = [m["role"] for m in conversations[0]["messages"]]
    assert roles == ["user", "assistant"] * 3


@pytest.mark.parametrize("name", [n for n in FIXTURES if n.startswith("chatgpt_broken")])
def test_broken_trees_never_give_an_empty_conversation(name: str) -> None:
    for conversation in _normalised(name)["conversations"]:
        assert conversation["messages"], conversation["id"]
        assert conversation["messages"][-1]["role"] == "assistant"


def _summary(name: str) -> Any:
    parsed = parse_export((SHAPES / f"{name}.json").read_bytes())
    return analyze(parsed.corpus, EngineOptions(enable_quality=False)).summary


def test_counts_reach_the_engine_summary() -> None:
    voice = _summary("chatgpt_voice")
    assert voice.voice_turns == 2
    images = _summary("chatgpt_images")
    assert (images.images_generated, images.images_uploaded) == (2, 1)
    mcp = _summary("claude_mcp_tools")
    assert mcp.tool_calls_by_mcp_server == {"Calendar": 1, "Tracker": 1}
    assert mcp.tool_calls_by_tool["web_search"] == 1
    assert mcp.canvas_documents == 1  # create_file
    assert _summary("chatgpt_canvas_memory").canvas_documents == 1
    assert _summary("claude_2024_inline_tags").canvas_documents == 1
    assert _summary("claude_thinking").thinking_blocks == 3
    assert _summary("chatgpt_reasoning").thinking_blocks == 1
    assert _summary("claude_web_api_single").images_uploaded == 1


def test_images_answering_a_question_alone_are_an_assistant_turn() -> None:
    messages = _normalised("chatgpt_images")["conversations"][0]["messages"]
    assert [(m["id"], m["role"]) for m in messages][-2:] == [
        ("im-5", "user"),
        ("im-7", "assistant"),
    ]
    assert messages[-1]["images_generated"] == 1
    assert messages[-1]["tool_uses"][0]["name"] == "dalle.text2im"


def _make_shapes() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_shapes", SHAPES / "make_shapes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_images_generated_after_a_text_answer_belong_to_that_answer() -> None:
    shapes = _make_shapes()
    image = {"content_type": "image_asset_pointer", "asset_pointer": "sediment://file_1"}
    nodes = [
        shapes.g_node("r", None, ["u"]),
        shapes.g_node("u", "r", ["a"], "user", ["Draw a fox."], when=shapes.T0),
        shapes.g_node("a", "u", ["c"], "assistant", ["Drawing it now."], when=shapes.T0 + 1),
        shapes.g_node(
            "c", "a", ["t"], "assistant", None, content_type="code", recipient="dalle.text2im"
        ),
        shapes.g_node("t", "c", [], "tool", [image], content_type="multimodal_text"),
    ]
    data = json.dumps([shapes.g_conv("fox", "Fox", nodes, "t")]).encode()
    messages = parse_export(data).corpus.conversations[0].messages
    assert [(m.id, m.role) for m in messages] == [("u", "user"), ("a", "assistant")]
    assert messages[1].images_generated == 1
