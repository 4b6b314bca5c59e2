"""Message.abandoned_alternatives: regenerated answers and edited prompts per message."""

from __future__ import annotations

import json

from convoscope_common.corpus import Conversation
from convoscope_ingest.parsing import parse_export

SENTINEL = "00000000-0000-4000-8000-000000000000"


def _alternatives(conversation: Conversation) -> list[tuple[str, int]]:
    return [(m.id, m.abandoned_alternatives) for m in conversation.messages]


# -- real-shape samples -------------------------------------------------------------


def test_claude_sample_counts_the_regenerated_answer(sample):
    sourdough, empty, lease = parse_export(sample("claude_sample.json")).corpus.conversations
    # 4a02 and f603 both answer 4a01; the user kept f603.
    assert [(m.id[-4:], m.abandoned_alternatives) for m in sourdough.messages] == [
        ("4a01", 0),
        ("f603", 1),
        ("8f04", 0),
        ("9b05", 0),
    ]
    assert (sourdough.abandoned_messages, sourdough.abandoned_branches) == (1, 1)
    assert empty.messages == []
    assert [m.abandoned_alternatives for m in lease.messages] == [0, 0]


def test_claude_2024_sample_without_links_has_none(sample):
    corpus = parse_export(sample("claude_sample_legacy.json")).corpus
    counts = [m.abandoned_alternatives for c in corpus.conversations for m in c.messages]
    assert counts == [0, 0, 0, 0]


def test_chatgpt_sample_counts_regeneration_and_edit(sample):
    tap, rainfall, plant = parse_export(sample("chatgpt_sample.json")).corpus.conversations
    # The regenerated answer sits below hidden reasoning; the branch point is the prompt.
    assert [(m.id[-4:], m.abandoned_alternatives) for m in tap.messages] == [
        ("6d13", 0),
        ("0b57", 1),
    ]
    # The edited prompt branches under the hidden system node.
    assert [(m.id[-4:], m.abandoned_alternatives) for m in rainfall.messages] == [
        ("a092", 1),
        ("0fb4", 0),
    ]
    assert [m.abandoned_alternatives for m in plant.messages] == [0, 0]
    # Conversation-level counts keep their meaning.
    assert (tap.abandoned_messages, tap.abandoned_branches) == (1, 1)
    assert (rainfall.abandoned_messages, rainfall.abandoned_branches) == (2, 1)


# -- claude.ai trees ----------------------------------------------------------------


def _claude(uuid, sender, when, parent):
    return {
        "uuid": uuid,
        "sender": sender,
        "created_at": f"2026-01-01T00:00:{when:02d}Z",
        "content": [{"type": "text", "text": f"text {uuid}"}],
        "parent_message_uuid": parent,
    }


def _parse_claude(messages) -> Conversation:
    items = [{"uuid": "c1", "name": "t", "chat_messages": messages}]
    return parse_export(json.dumps(items).encode()).corpus.conversations[0]


def test_claude_answer_regenerated_twice():
    conversation = _parse_claude(
        [
            _claude("u1", "human", 1, SENTINEL),
            _claude("a1", "assistant", 2, "u1"),
            _claude("a1b", "assistant", 3, "u1"),
            _claude("a1c", "assistant", 4, "u1"),
        ]
    )
    assert _alternatives(conversation) == [("u1", 0), ("a1c", 2)]
    assert (conversation.abandoned_messages, conversation.abandoned_branches) == (2, 1)


def test_claude_edited_prompt_counts_on_the_prompt_not_its_answer():
    conversation = _parse_claude(
        [
            _claude("u1", "human", 1, SENTINEL),
            _claude("a1", "assistant", 2, "u1"),
            _claude("u2", "human", 3, "a1"),  # first attempt, left with its answer
            _claude("a2", "assistant", 4, "u2"),
            _claude("u2b", "human", 5, "a1"),
            _claude("a2b", "assistant", 6, "u2b"),
        ]
    )
    assert _alternatives(conversation) == [("u1", 0), ("a1", 0), ("u2b", 1), ("a2b", 0)]


def test_claude_edited_first_prompt_branches_at_the_root():
    conversation = _parse_claude(
        [
            _claude("u1", "human", 1, SENTINEL),
            _claude("a1", "assistant", 2, "u1"),
            _claude("u1b", "human", 3, SENTINEL),
            _claude("a1b", "assistant", 4, "u1b"),
        ]
    )
    assert _alternatives(conversation) == [("u1b", 1), ("a1b", 0)]


def test_claude_sibling_of_another_role_is_not_an_alternative():
    conversation = _parse_claude(
        [
            _claude("u1", "human", 1, SENTINEL),
            _claude("h", "human", 2, "u1"),  # a stray human turn under the prompt
            _claude("x", "system", 3, "u1"),  # unsupported sender
            _claude("a1", "assistant", 4, "u1"),
        ]
    )
    assert _alternatives(conversation) == [("u1", 0), ("a1", 0)]
    assert conversation.abandoned_branches == 1


# -- ChatGPT trees ------------------------------------------------------------------


def _node(node_id, parent, role, when, text="", content_type="text", recipient="all"):
    content = {"content_type": content_type, "parts": [text or f"text {node_id}"]}
    if content_type == "thoughts":
        content = {"content_type": "thoughts", "thoughts": [{"content": "thinking"}]}
    return {
        "id": node_id,
        "parent": parent,
        "message": {
            "id": node_id,
            "author": {"role": role},
            "create_time": when,
            "content": content,
            "recipient": recipient,
        },
    }


def _parse_chatgpt(nodes, current) -> Conversation:
    mapping = {"root": {"id": "root", "message": None, "parent": None}}
    mapping.update({node["id"]: node for node in nodes})
    items = [{"id": "g1", "title": "t", "mapping": mapping, "current_node": current}]
    return parse_export(json.dumps(items).encode()).corpus.conversations[0]


def test_chatgpt_regenerations_below_hidden_reasoning_accumulate():
    conversation = _parse_chatgpt(
        [
            _node("u", "root", "user", 1.0),
            _node("a1", "u", "assistant", 2.0),  # plain first answer
            _node("t1", "u", "assistant", 3.0, content_type="thoughts"),
            _node("a2", "t1", "assistant", 4.0),  # second answer, after reasoning
            _node("a3", "t1", "assistant", 5.0),  # third answer, same reasoning
        ],
        current="a3",
    )
    # One alternative at u (a1) and one at t1 (a2): both belong to a3.
    assert _alternatives(conversation) == [("u", 0), ("a3", 2)]
    assert (conversation.abandoned_messages, conversation.abandoned_branches) == (2, 2)


def test_chatgpt_hidden_sibling_is_not_an_alternative():
    conversation = _parse_chatgpt(
        [
            _node("u", "root", "user", 1.0),
            # An aborted tool call: hidden, leads to nothing visible.
            _node("call", "u", "assistant", 2.0, content_type="code", recipient="python"),
            _node("out", "call", "tool", 3.0, content_type="execution_output"),
            _node("a", "u", "assistant", 4.0),
        ],
        current="a",
    )
    assert _alternatives(conversation) == [("u", 0), ("a", 0)]
    assert (conversation.abandoned_messages, conversation.abandoned_branches) == (0, 1)


def test_chatgpt_hidden_sibling_leading_to_an_answer_is_an_alternative():
    conversation = _parse_chatgpt(
        [
            _node("u", "root", "user", 1.0),
            _node("call", "u", "assistant", 2.0, content_type="code", recipient="python"),
            _node("out", "call", "tool", 3.0, content_type="execution_output"),
            _node("a1", "out", "assistant", 4.0),  # the answer the user regenerated
            _node("a2", "u", "assistant", 5.0),
        ],
        current="a2",
    )
    assert _alternatives(conversation) == [("u", 0), ("a2", 1)]


def test_chatgpt_sibling_of_another_role_is_not_an_alternative():
    conversation = _parse_chatgpt(
        [
            _node("u1", "root", "user", 1.0),
            _node("a1", "u1", "assistant", 2.0),
            _node("more", "a1", "assistant", 3.0),  # an assistant continuation, left
            _node("u2", "a1", "user", 4.0),
            _node("a2", "u2", "assistant", 5.0),
        ],
        current="a2",
    )
    assert _alternatives(conversation) == [("u1", 0), ("a1", 0), ("u2", 0), ("a2", 0)]
    assert (conversation.abandoned_messages, conversation.abandoned_branches) == (1, 1)


def test_chatgpt_alternatives_do_not_spill_past_the_next_visible_message():
    conversation = _parse_chatgpt(
        [
            _node("u1", "root", "user", 1.0),
            _node("alt", "u1", "assistant", 2.0),
            # The kept answer is empty, so hidden; the next visible message is a user one.
            _node("blank", "u1", "assistant", 3.0, text=" "),
            _node("u2", "blank", "user", 4.0),
            _node("a2", "u2", "assistant", 5.0),
        ],
        current="a2",
    )
    assert _alternatives(conversation) == [("u1", 0), ("u2", 0), ("a2", 0)]
