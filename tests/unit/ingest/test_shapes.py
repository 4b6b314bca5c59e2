"""Format detection and normalisation edge cases on small hand-made inputs."""

from __future__ import annotations

import json

import pytest

from convoscope_ingest.errors import IngestError, InvalidUtf8Error
from convoscope_ingest.parsing import parse_export

SENTINEL = "00000000-0000-4000-8000-000000000000"


def _msg(uuid, sender, when, parent=None, blocks=None, text=None):
    message = {
        "uuid": uuid,
        "sender": sender,
        "created_at": f"2026-01-01T00:00:{when:02d}Z",
        "content": blocks if blocks is not None else [{"type": "text", "text": f"text {uuid}"}],
        "text": text if text is not None else f"text {uuid}",
    }
    if parent is not None:
        message["parent_message_uuid"] = parent
    return message


def _conv(messages, uuid="c1", **extra):
    return {"uuid": uuid, "name": "t", "chat_messages": messages, **extra}


def _parse(items) -> object:
    return parse_export(json.dumps(items).encode())


def test_edited_prompt_branch_uses_latest_leaf():
    messages = [
        _msg("u1", "human", 1, SENTINEL),
        _msg("a1", "assistant", 2, "u1"),
        _msg("u2", "human", 3, "a1"),  # first attempt, abandoned with its answer
        _msg("a2", "assistant", 4, "u2"),
        _msg("u2b", "human", 5, "a1"),  # the edit
        _msg("a2b", "assistant", 6, "u2b"),
    ]
    conversation = _parse([_conv(messages)]).corpus.conversations[0]
    assert [m.id for m in conversation.messages] == ["u1", "a1", "u2b", "a2b"]
    assert (conversation.abandoned_messages, conversation.abandoned_branches) == (2, 1)


def test_parent_cycle_and_missing_parent_do_not_loop():
    messages = [
        _msg("x", "human", 1, "y"),
        _msg("y", "assistant", 2, "x"),
        _msg("z", "human", 3, "missing-parent"),
    ]
    conversation = _parse([_conv(messages)]).corpus.conversations[0]
    assert [m.id for m in conversation.messages] == ["z"]


def test_messages_without_links_keep_time_order_not_array_order():
    messages = [_msg("b", "assistant", 9), _msg("a", "human", 1)]
    conversation = _parse([_conv(messages)]).corpus.conversations[0]
    assert [m.id for m in conversation.messages] == ["a", "b"]


def test_unknown_blocks_are_counted_never_fatal():
    blocks = [
        {"type": "injected_prompt_block", "whatever": {"a": [1]}},
        {"type": "text", "text": "visible"},
        {"type": "brand_new_block"},
        {"type": "token_budget"},
    ]
    parsed = _parse([_conv([_msg("m", "assistant", 1, SENTINEL, blocks=blocks)])])
    message = parsed.corpus.conversations[0].messages[0]
    assert message.text == "visible"
    assert message.unknown_blocks == ["injected_prompt_block", "brand_new_block"]
    assert parsed.metadata.parse_health.unknown_block_types == {
        "injected_prompt_block": 1,
        "brand_new_block": 1,
    }


def test_text_fallback_strips_placeholders_when_no_blocks():
    text = "Before.\n```\nThis block is not supported on your current device yet.\n```\nAfter."
    parsed = _parse([_conv([_msg("m", "assistant", 1, blocks=[], text=text)])])
    assert parsed.corpus.conversations[0].messages[0].text == "Before.\n\nAfter."


def test_tool_result_error_flag_and_string_content():
    blocks = [
        {"type": "tool_use", "name": "web_fetch", "input": {"_tool_call_id": "t9", "u": 1}},
        {"type": "tool_result", "tool_use_id": "t9", "content": "timed out", "is_error": True},
    ]
    message = _parse([_conv([_msg("m", "assistant", 1, blocks=blocks)])]).corpus
    message = message.conversations[0].messages[0]
    assert message.tool_uses[0].id == "t9"
    assert (message.tool_results[0].is_error, message.tool_results[0].text) == (True, "timed out")


def test_invalid_conversation_is_skipped_with_reason():
    items = [_conv([_msg("m", "human", 1)]), {"uuid": 7, "chat_messages": []}, {"foo": 1}]
    health = _parse(items).corpus.health
    assert health.skipped_reasons == {
        "invalid conversation": 1,
        "not a conversation of this export": 1,
    }
    assert "$.uuid" in health.skipped[0].reason


def test_legacy_wrapper_and_single_object():
    wrapped = parse_export(json.dumps({"conversations": [_conv([_msg("m", "human", 1)])]}).encode())
    assert wrapped.metadata.format == "claude_wrapped_json"
    single = parse_export(json.dumps(_conv([_msg("m", "human", 1)])).encode())
    assert single.metadata.format == "claude_json" and single.metadata.messages == 1


def test_bom_and_nanosecond_timestamps():
    conversation = _conv([_msg("m", "human", 1)], created_at="2026-01-01T00:00:00.123456789Z")
    data = b"\xef\xbb\xbf" + json.dumps([conversation]).encode()
    parsed = parse_export(data)
    assert parsed.corpus.conversations[0].created_at.microsecond == 123456
    assert parsed.corpus.conversations[0].created_at.tzinfo is not None


def test_invalid_utf8_inside_a_conversation_reports_its_position():
    data = json.dumps([_conv([_msg("m", "human", 1)])]).encode().replace(b"text m", b"te\xfft")
    with pytest.raises(InvalidUtf8Error, match="line 1, column"):
        parse_export(data)


def test_chatgpt_without_current_node_uses_latest_leaf_and_strips_markers():
    def node(node_id, parent, role, text, when):
        return {
            "id": node_id,
            "parent": parent,
            "message": {
                "id": node_id,
                "author": {"role": role},
                "create_time": when,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {
                    "content_references": [{"items": [{"url": "https://a.example", "title": "A"}]}]
                },
            },
        }

    mapping = {
        "r": {"id": "r", "message": None, "parent": None},
        "u": node("u", "r", "user", "question", 1.0),
        "a1": node("a1", "u", "assistant", "old answer", 2.0),
        "a2": node(
            "a2", "u", "assistant", "new answer \ue200cite\ue202turn0search1\ue201 done", 3.0
        ),
    }
    conversation = {"id": "g1", "title": "", "mapping": mapping}
    parsed = parse_export(json.dumps([conversation]).encode())
    result = parsed.corpus.conversations[0]
    assert [m.text for m in result.messages] == ["question", "new answer  done"]
    assert result.messages[1].citations[0].url == "https://a.example"
    assert result.title is None
    assert (result.abandoned_messages, result.abandoned_branches) == (1, 1)


def test_errors_carry_status_and_never_content():
    secret = "my-secret-password-123"
    data = json.dumps([{"uuid": secret, "chat_messages": []}]).encode()[:-3]
    with pytest.raises(IngestError) as caught:
        parse_export(data)
    assert secret not in caught.value.message
    assert caught.value.to_error_info().status == 400


def test_messages_without_times_keep_array_order_not_questions_first():
    messages = [
        {"uuid": f"{sender[0]}{i}", "sender": sender, "text": f"{sender} {i}"}
        for i in range(3)
        for sender in ("human", "assistant")
    ]
    conversation = _parse([_conv(messages)]).corpus.conversations[0]
    assert [m.id for m in conversation.messages] == ["h0", "a0", "h1", "a1", "h2", "a2"]
