"""Property-based tests: whatever JSON arrives, the parser answers with a corpus or a typed
error (IngestError, which the gateway maps to a clear HTTP error) — never anything else."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import msgspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convoscope_ingest.errors import IngestError
from convoscope_ingest.parsing import ParsedExport, parse_export

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)


def _parses_or_fails_clearly(payload: bytes) -> ParsedExport | None:
    try:
        parsed = parse_export(payload)
    except IngestError as exc:
        assert 400 <= exc.status < 500
        assert exc.message and exc.code
        return None
    assert parsed.metadata.conversations == len(parsed.corpus.conversations)
    assert parsed.metadata.messages == sum(len(c.messages) for c in parsed.corpus.conversations)
    return parsed


@_SETTINGS
@given(any_json)
def test_any_json_value_yields_a_corpus_or_a_typed_error(value: Any) -> None:
    _parses_or_fails_clearly(json.dumps(value).encode())


# Values that look like the real shapes, with every field free to be anything.
field_value = any_json
claude_message = st.fixed_dictionaries(
    {},
    optional={
        "uuid": st.uuids().map(str) | field_value,
        "sender": st.sampled_from(["human", "assistant", "system"]) | field_value,
        "text": st.text() | field_value,
        "created_at": st.sampled_from(
            ["2026-05-14T09:12:04.102330Z", "2024-01-01T00:00:00+02:00", "not a date"]
        )
        | field_value,
        "content": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(
                        ["text", "thinking", "tool_use", "tool_result", "flag", "voice_note"]
                    )
                    | field_value
                },
                optional={
                    "text": field_value,
                    "thinking": field_value,
                    "input": field_value,
                    "content": field_value,
                    "is_error": field_value,
                    "citations": field_value,
                },
            ),
            max_size=3,
        )
        | field_value,
        "attachments": field_value,
        "files": field_value,
        "parent_message_uuid": st.uuids().map(str) | field_value,
    },
)
claude_conversation = st.fixed_dictionaries(
    {"uuid": st.uuids().map(str), "chat_messages": st.lists(claude_message, max_size=4)},
    optional={
        "name": field_value,
        "created_at": field_value,
        "updated_at": field_value,
        "summary": field_value,
    },
)
chatgpt_node = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=8),
        "parent": st.text(max_size=8) | st.none(),
        "children": st.lists(st.text(max_size=8), max_size=3),
        "message": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "author": st.fixed_dictionaries(
                    {}, optional={"role": st.sampled_from(["user", "assistant", "tool", "system"])}
                ),
                "content": st.fixed_dictionaries(
                    {},
                    optional={
                        "content_type": st.sampled_from(["text", "code", "thoughts"]),
                        "parts": st.lists(field_value, max_size=3),
                    },
                ),
                "create_time": st.floats(0, 2e9) | field_value,
            },
        ),
    },
)
chatgpt_conversation = st.fixed_dictionaries(
    {"mapping": st.dictionaries(st.text(max_size=8), chatgpt_node, max_size=5)},
    optional={
        "title": field_value,
        "current_node": st.text(max_size=8) | field_value,
        "create_time": field_value,
        "id": field_value,
    },
)


@_SETTINGS
@given(st.lists(claude_conversation, min_size=1, max_size=4))
def test_claude_shaped_exports_with_wild_fields(conversations: list[Any]) -> None:
    parsed = _parses_or_fails_clearly(json.dumps(conversations).encode())
    if parsed is not None:
        for conversation in parsed.corpus.conversations:
            for message in conversation.messages:
                assert message.role in ("user", "assistant")
                assert message.created_at is None or message.created_at.tzinfo is not None


@_SETTINGS
@given(st.lists(chatgpt_conversation, min_size=1, max_size=4))
# Found by this test: an empty mapping crashed the branch walk (a zip of unequal lengths).
@example([{"mapping": {}}])
def test_chatgpt_shaped_exports_with_wild_fields(conversations: list[Any]) -> None:
    parsed = _parses_or_fails_clearly(json.dumps(conversations).encode())
    if parsed is not None:
        assert parsed.metadata.source == "chatgpt"


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "conversations.json",
                "users.json",
                "projects.json",
                "memories.json",
                "data/conversations.json",
                "conversations-000.json",
                "../evil.json",
            ]
        ),
        any_json,
        max_size=4,
    )
)
def test_zips_of_arbitrary_json_members(members: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in members.items():
            archive.writestr(name, msgspec.json.encode(value))
    _parses_or_fails_clearly(buffer.getvalue())


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    _parses_or_fails_clearly(data)


def _tied_pairs_export(gaps: list[int], order: list[int], answers_in: str) -> bytes:
    """Question/answer pairs sharing one ``created_at`` per pair, no parent links, the
    array in ``order``; ``answers_in`` is the content shape of the messages."""
    messages = []
    seconds = 0
    for pair, gap in enumerate(gaps):
        seconds += gap
        when = f"2025-03-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z"
        for sender in ("human", "assistant"):
            text = f"{sender} turn {pair}"
            message: dict[str, Any] = {
                "uuid": f"{sender[0]}{pair}",
                "sender": sender,
                "created_at": when,
                "text": text,
            }
            if answers_in == "blocks":
                message["content"] = [{"type": "text", "text": text}]
            messages.append(message)
    shuffled = [messages[i] for i in order]
    return json.dumps([{"uuid": "c", "name": "t", "chat_messages": shuffled}]).encode()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=12).flatmap(
        lambda gaps: st.tuples(
            st.just(gaps),
            st.permutations(range(2 * len(gaps))),
            st.sampled_from(["blocks", "text only"]),
        )
    )
)
def test_shuffled_tie_timestamped_pairs_recover_question_then_answer(
    case: tuple[list[int], list[int], str],
) -> None:
    gaps, order, answers_in = case
    parsed = parse_export(_tied_pairs_export(gaps, list(order), answers_in))
    ids = [m.id for m in parsed.corpus.conversations[0].messages]
    assert ids == [f"{role}{pair}" for pair in range(len(gaps)) for role in ("h", "a")]
    assert "conversations whose roles do not alternate" not in parsed.corpus.health.notes
    assert "conversations starting with an assistant message" not in parsed.corpus.health.notes
