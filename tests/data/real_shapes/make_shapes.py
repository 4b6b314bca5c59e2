"""Writes the real-shape fixtures of this folder (run it after changing a shape).

Each fixture is written by hand from the published formats
(/work/shared/formats/EXPORT_FORMATS.md) and the shapes listed in issue 21: invented
conversations, real keys. One shape per file, named after it; the golden normalised
corpus next to each (``*.golden.json``) is written by
``CONVOSCOPE_UPDATE_GOLDEN=1 pytest tests/unit/ingest/test_real_shapes.py``.

    python tests/data/real_shapes/make_shapes.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SENTINEL = "00000000-0000-4000-8000-000000000000"


# --- claude.ai ------------------------------------------------------------------------


def c_text(text: str, start: str | None = "2026-03-02T10:00:01.000000Z") -> dict[str, Any]:
    return {
        "start_timestamp": start,
        "stop_timestamp": start,
        "flags": None,
        "type": "text",
        "text": text,
        "citations": [],
    }


def c_msg(
    uuid: str,
    sender: str,
    created: str,
    content: list[dict[str, Any]],
    parent: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "uuid": uuid,
        "text": "",
        "content": content,
        "sender": sender,
        "created_at": created,
        "updated_at": created,
        "attachments": [],
        "files": [],
    }
    if parent is not None:
        message["parent_message_uuid"] = parent
    message.update(extra)
    return message


def c_conv(uuid: str, name: str, created: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "summary": "",
        "created_at": created,
        "updated_at": created,
        "account": {"uuid": "acc-0001"},
        "chat_messages": messages,
    }


def claude_tie_ordered() -> list[dict[str, Any]]:
    """No parent links; each question and its answer share one created_at; array scrambled."""
    t1, t2, t3 = (
        "2025-06-01T09:00:00.000000Z",
        "2025-06-01T09:05:00.000000Z",
        "2025-06-01T09:09:00.000000Z",
    )

    def m(uuid: str, sender: str, when: str, text: str) -> dict[str, Any]:
        message = c_msg(uuid, sender, when, [c_text(text, None)])
        message["text"] = text
        return message

    return [
        c_conv(
            "tie-0001",
            "Scrambled pairs",
            t1,
            [
                m("t1-a2", "assistant", t2, "Use a fixed seed so the shuffle is repeatable."),
                m("t1-q1", "human", t1, "How do I shuffle a list in Python?"),
                m("t1-a1", "assistant", t1, "Call random.shuffle on the list; it works in place."),
                m("t1-q2", "human", t2, "And how do I make it repeatable?"),
                m("t1-a3", "assistant", t3, "A Random instance with its own seed keeps it local."),
                m("t1-q3", "human", t3, "Can I avoid touching the global seed?"),
            ],
        ),
        c_conv(
            "tie-0002",
            "One pair, answer first in the array",
            t1,
            [
                m("t2-a1", "assistant", t1, "Tuesday comes after Monday."),
                m("t2-q1", "human", t1, "Which day comes after Monday?"),
            ],
        ),
        c_conv(
            "tie-0003",
            "Really opens with the assistant",
            t1,
            [
                m("t3-q1", "human", t2, "Thanks, what should I read first?"),
                m("t3-a0", "assistant", t1, "Welcome back! Here is your reading list."),
                m("t3-a1", "assistant", t2, "Start with the short introduction."),
                m("t3-q2", "human", t3, "Got it."),
                m("t3-q3", "human", "2025-06-01T09:10:00.000000Z", "One more thing: is it free?"),
            ],
        ),
    ]


def claude_token_budget() -> list[dict[str, Any]]:
    budget = {
        "start_timestamp": None,
        "stop_timestamp": None,
        "flags": None,
        "type": "token_budget",
        "remaining": None,
    }
    tool_use = {
        "start_timestamp": "2026-03-02T10:00:02.000000Z",
        "stop_timestamp": "2026-03-02T10:00:03.000000Z",
        "flags": None,
        "type": "tool_use",
        "id": "toolu_01Budget",
        "name": "web_search",
        "input": {"query": "tide table harbour"},
        "message": "Searching the web",
        "integration_name": None,
        "integration_icon_url": None,
        "context": None,
        "display_content": None,
        "approval_options": None,
        "approval_key": None,
        "is_mcp_app": None,
        "mcp_server_url": None,
    }
    tool_result = {
        "start_timestamp": None,
        "stop_timestamp": None,
        "flags": None,
        "type": "tool_result",
        "tool_use_id": "toolu_01Budget",
        "name": "web_search",
        "content": [{"type": "text", "text": "High tide 06:12, low tide 12:30.", "uuid": "r-1"}],
        "is_error": False,
        "message": None,
        "display_content": None,
    }
    return [
        c_conv(
            "budget-0001",
            "Tides",
            "2026-03-02T10:00:00.000000Z",
            [
                c_msg(
                    "b-q1",
                    "human",
                    "2026-03-02T10:00:00.000000Z",
                    [c_text("When is high tide?")],
                    SENTINEL,
                ),
                c_msg(
                    "b-a1",
                    "assistant",
                    "2026-03-02T10:00:05.000000Z",
                    [
                        budget,
                        tool_use,
                        budget,
                        tool_result,
                        budget,
                        c_text("High tide is at 06:12."),
                    ],
                    "b-q1",
                ),
            ],
        )
    ]


def claude_thinking() -> list[dict[str, Any]]:
    def thinking(text: str, **extra: Any) -> dict[str, Any]:
        block = {
            "start_timestamp": "2026-04-10T08:00:01.000000Z",
            "stop_timestamp": "2026-04-10T08:00:04.000000Z",
            "flags": None,
            "type": "thinking",
            "thinking": text,
            "summaries": [],
            "cut_off": False,
        }
        block.update(extra)
        return block

    t = "2026-04-10T08:00:00.000000Z"
    return [
        c_conv(
            "think-0001",
            "Reasoning blocks",
            t,
            [
                c_msg("k-q1", "human", t, [c_text("Is 221 prime?")], SENTINEL),
                c_msg(
                    "k-a1",
                    "assistant",
                    "2026-04-10T08:00:05.000000Z",
                    [
                        thinking(
                            "Try small primes: 221 = 13 x 17.",
                            signature="EpYBCkYIBRgCKkD0c2lnbmF0dXJlLWludmVudGVk",
                            summaries=[{"summary": "Checked small factors."}],
                        ),
                        c_text("No: 221 = 13 × 17."),
                    ],
                    "k-q1",
                ),
                c_msg("k-q2", "human", "2026-04-10T08:01:00.000000Z", [c_text("And 223?")], "k-a1"),
                c_msg(
                    "k-a2",
                    "assistant",
                    "2026-04-10T08:01:09.000000Z",
                    [
                        thinking(
                            "",
                            truncated=True,
                            summaries=[{"summary": "Tried every prime up to 14."}],
                        ),
                        thinking("", signature="EpYBCkYIBRgCKkD0cmVkYWN0ZWQ", cut_off=True),
                        c_text("Yes, 223 is prime."),
                    ],
                    "k-q2",
                ),
            ],
        )
    ]


def claude_mcp_tools() -> list[dict[str, Any]]:
    def use(tool_id: str, name: str, tool_input: dict[str, Any], **extra: Any) -> dict[str, Any]:
        block = {
            "start_timestamp": "2026-05-20T14:00:02.000000Z",
            "stop_timestamp": "2026-05-20T14:00:02.500000Z",
            "flags": None,
            "type": "tool_use",
            "id": tool_id,
            "name": name,
            "input": tool_input,
            "message": None,
            "integration_name": None,
            "integration_icon_url": None,
            "tool_identifier": None,
            "icon_name": None,
            "context": None,
            "display_content": None,
            "approval_options": None,
            "approval_key": None,
            "approval_key_legacy": None,
            "is_mcp_app": None,
            "hidden_in_chat": False,
            "mcp_server_url": None,
        }
        block.update(extra)
        return block

    def result(
        tool_id: str, name: str, items: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        block = {
            "start_timestamp": None,
            "stop_timestamp": None,
            "flags": None,
            "type": "tool_result",
            "tool_use_id": tool_id,
            "name": name,
            "content": items,
            "is_error": False,
            "structured_content": None,
            "meta": None,
            "message": None,
            "integration_name": None,
            "mcp_server_url": None,
            "display_content": None,
            "hidden_in_chat": False,
        }
        block.update(extra)
        return block

    calendar = "https://calendar.example.org/mcp"
    t = "2026-05-20T14:00:00.000000Z"
    return [
        c_conv(
            "mcp-0001",
            "Connectors",
            t,
            [
                c_msg(
                    "p-q1",
                    "human",
                    t,
                    [c_text("What is on my calendar, and file a ticket for the demo.")],
                    SENTINEL,
                ),
                c_msg(
                    "p-a1",
                    "assistant",
                    "2026-05-20T14:00:09.000000Z",
                    [
                        use(
                            "toolu_cal",
                            "Calendar:list_events",
                            {"day": "2026-05-21"},
                            integration_name="Calendar",
                            approval_key="mcp:calendar:list_events",
                            approval_options=["allow_once", "always_allow"],
                            is_mcp_app=False,
                            mcp_server_url=calendar,
                        ),
                        use(
                            "toolu_tracker",
                            "Tracker:create_issue",
                            {"title": "Prepare demo"},
                            is_mcp_app=True,
                            mcp_server_url="https://tracker.example.net/sse",
                        ),
                        result(
                            "toolu_tracker",
                            "Tracker:create_issue",
                            [{"type": "text", "text": "Created TRK-12", "uuid": "r-2"}],
                            mcp_server_url="https://tracker.example.net/sse",
                        ),
                        result(
                            "toolu_cal",
                            "Calendar:list_events",
                            [{"type": "text", "text": "09:00 stand-up; 15:00 demo", "uuid": "r-1"}],
                            integration_name="Calendar",
                            mcp_server_url=calendar,
                        ),
                        use("toolu_web", "web_search", {"query": "demo checklist"}),
                        result(
                            "toolu_web",
                            "web_search",
                            [
                                {
                                    "type": "knowledge",
                                    "title": "A demo checklist",
                                    "url": "https://blog.example.com/demo-checklist",
                                    "text": "Charge the laptop, test the projector.",
                                    "metadata": {
                                        "site_domain": "example.com",
                                        "site_name": "Example",
                                    },
                                    "is_missing": False,
                                    "is_citable": True,
                                }
                            ],
                        ),
                        use(
                            "toolu_file",
                            "create_file",
                            {"path": "/mnt/user-data/outputs/agenda.md", "file_text": "# Agenda"},
                        ),
                        result(
                            "toolu_file",
                            "create_file",
                            [{"type": "text", "text": "File created", "uuid": "r-3"}],
                        ),
                        use(
                            "toolu_present",
                            "present_files",
                            {"filepaths": ["/mnt/user-data/outputs/agenda.md"]},
                        ),
                        result(
                            "toolu_present",
                            "present_files",
                            [
                                {
                                    "type": "local_resource",
                                    "file_path": "/mnt/user-data/outputs/agenda.md",
                                    "name": "agenda.md",
                                    "mime_type": "text/markdown",
                                    "uuid": "r-4",
                                }
                            ],
                        ),
                        c_text("Stand-up at 09:00 and the demo at 15:00; ticket TRK-12 is filed."),
                    ],
                    "p-q1",
                ),
            ],
        )
    ]


def claude_2024_inline_tags() -> list[dict[str, Any]]:
    """2024: no summary, no parent links, no block timestamps, tags inline in the text."""
    answer = (
        "<antThinking>A small script is worth an artifact.</antThinking>\n\n"
        "Here is a script that counts words.\n\n"
        '<antArtifact identifier="word-count" type="application/vnd.ant.code" language="python" '
        'title="Word counter">\nimport sys\nprint(len(sys.stdin.read().split()))\n'
        "</antArtifact>\n\n"
        "Run it with a file on standard input."
    )
    return [
        {
            "uuid": "old-0001",
            "name": "Word counter",
            "created_at": "2024-04-02T16:20:00.000000+00:00",
            "updated_at": "2024-04-02T16:21:00.000000+00:00",
            "account": {"uuid": "acc-0001"},
            "chat_messages": [
                {
                    "uuid": "o-q1",
                    "text": "Write me a word counter. Screenshot attached.",
                    "sender": "human",
                    "created_at": "2024-04-02T16:20:00.000000+00:00",
                    "updated_at": "2024-04-02T16:20:00.000000+00:00",
                    "attachments": [],
                    "files": [{"file_name": "screenshot.png"}],
                },
                {
                    "uuid": "o-a1",
                    "text": answer,
                    "sender": "assistant",
                    "created_at": "2024-04-02T16:20:30.000000+00:00",
                    "updated_at": "2024-04-02T16:20:30.000000+00:00",
                    "attachments": [],
                    "files": [],
                },
                {
                    "uuid": "o-q2",
                    "text": "Thanks!",
                    "content": [{"type": "text", "text": "Thanks!"}],
                    "sender": "human",
                    "created_at": "2024-04-02T16:21:00.000000+00:00",
                    "updated_at": "2024-04-02T16:21:00.000000+00:00",
                    "attachments": [],
                    "files": [],
                },
                {
                    "uuid": "o-a2",
                    "text": "",
                    "content": [
                        {
                            "type": "text",
                            "text": "<antThinking>Short reply.</antThinking>You are welcome.",
                        }
                    ],
                    "sender": "assistant",
                    "created_at": "2024-04-02T16:21:00.000000+00:00",
                    "updated_at": "2024-04-02T16:21:00.000000+00:00",
                    "attachments": [],
                    "files": [],
                },
            ],
        }
    ]


def claude_web_api_single() -> dict[str, Any]:
    """One conversation as the web API returns it: a single object, not a list."""
    t = "2026-02-14T19:00:00.000000Z"

    def m(
        uuid: str, sender: str, when: str, text: str, parent: str, index: int, **extra: Any
    ) -> dict[str, Any]:
        message = c_msg(
            uuid,
            sender,
            when,
            [c_text(text, when)],
            parent,
            index=index,
            truncated=False,
            stop_reason="stop_sequence",
            sync_sources=[],
        )
        message["text"] = text
        message.update(extra)
        return message

    image = {
        "file_kind": "image",
        "file_uuid": "f-0001",
        "file_name": "plant.jpg",
        "created_at": t,
        "thumbnail_url": "/api/thumb",
        "preview_url": "/api/preview",
    }
    return {
        "uuid": "api-0001",
        "name": "Plant care",
        "summary": "",
        "model": "claude-sonnet-4-5",
        "created_at": t,
        "updated_at": "2026-02-14T19:03:00.000000Z",
        "settings": {"preview_feature_uses_artifacts": True},
        "is_starred": False,
        "current_leaf_message_uuid": "w-a1",
        "chat_messages": [
            m(
                "w-q1",
                "human",
                t,
                "Why are the leaves yellow?",
                SENTINEL,
                0,
                files=[{"file_name": "plant.jpg", "file_uuid": "f-0001"}],
                files_v2=[image],
            ),
            m(
                "w-a1",
                "assistant",
                "2026-02-14T19:00:10.000000Z",
                "Most likely too much water.",
                "w-q1",
                1,
            ),
            # A retry the user looked at and then left: newer, but not the current leaf.
            m(
                "w-a1b",
                "assistant",
                "2026-02-14T19:03:00.000000Z",
                "Possibly a lack of light.",
                "w-q1",
                2,
            ),
        ],
    }


# --- ChatGPT --------------------------------------------------------------------------


def g_node(
    node_id: str,
    parent: str | None,
    children: list[str],
    role: str | None = None,
    parts: list[Any] | None = None,
    *,
    when: float | None = None,
    content_type: str = "text",
    recipient: str = "all",
    name: str | None = None,
    metadata: dict[str, Any] | None = None,
    sparse: bool = False,
    **content_extra: Any,
) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "message": None, "parent": parent, "children": children}
    if role is None:
        return node
    content: dict[str, Any] = {"content_type": content_type}
    if parts is not None:
        content["parts"] = parts
    content.update(content_extra)
    message: dict[str, Any] = {
        "id": node_id,
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": when,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": None,
        "weight": 1.0,
        "metadata": metadata if metadata is not None else {},
        "recipient": recipient,
        "channel": None,
    }
    if sparse:  # 2023-style: null-valued keys left out
        for key in ("status", "weight", "metadata", "end_turn", "update_time", "channel"):
            message.pop(key)
    node["message"] = message
    return node


def g_conv(
    conv_id: str,
    title: str | None,
    nodes: list[dict[str, Any]],
    current: str | None,
    *,
    created: float | None = 1767261600.0,
    model: str | None = "gpt-5",
    **extra: Any,
) -> dict[str, Any]:
    conversation: dict[str, Any] = {
        "title": title,
        "create_time": created,
        "update_time": created,
        "mapping": {node["id"]: node for node in nodes},
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": conv_id,
        "id": conv_id,
        "default_model_slug": model,
        "gizmo_id": None,
        "is_archived": False,
    }
    if current is None:
        del conversation["current_node"]
    conversation.update(extra)
    return conversation


T0 = 1767261600.0  # 2026-01-01T10:00:00Z


def _chain(prefix: str, turns: list[tuple[str, str]], start: float = T0) -> list[dict[str, Any]]:
    """A root plus alternating visible turns, every children list filled."""
    ids = [f"{prefix}-root"] + [f"{prefix}-{i}" for i in range(1, len(turns) + 1)]
    nodes = [g_node(ids[0], None, [ids[1]] if len(ids) > 1 else [])]
    for i, (role, text) in enumerate(turns, start=1):
        kids = [ids[i + 1]] if i + 1 < len(ids) else []
        nodes.append(
            g_node(
                ids[i],
                ids[i - 1],
                kids,
                role,
                [text],
                when=start + 10 * i,
                metadata={"model_slug": "gpt-5"} if role == "assistant" else {},
            )
        )
    return nodes


def chatgpt_broken_current_node() -> list[dict[str, Any]]:
    turns = [
        ("user", "Name a blue flower."),
        ("assistant", "Cornflower."),
        ("user", "And a red one?"),
        ("assistant", "Poppy."),
    ]
    missing = _chain("mis", turns)
    dangling = _chain("dng", turns)
    # A regenerated answer that is older than the one kept: the newest leaf wins.
    dangling[3]["children"].append("dng-4old")
    dangling.append(g_node("dng-4old", "dng-3", [], "assistant", ["Rose."], when=T0 + 35))
    # current_node names a hidden system leaf beside the real branch: nothing to show there.
    hidden_leaf = _chain("hid", turns[:2])
    hidden_leaf[0]["children"].append("hid-sys")
    hidden_leaf.append(
        g_node(
            "hid-sys",
            "hid-root",
            [],
            "system",
            [""],
            metadata={"is_visually_hidden_from_conversation": True},
        )
    )
    return [
        g_conv("conv-missing", "current_node missing", missing, None),
        g_conv("conv-dangling", "current_node not in mapping", dangling, "node-that-was-deleted"),
        g_conv("conv-hidden-leaf", "current_node on a hidden leaf", hidden_leaf, "hid-sys"),
    ]


def chatgpt_dangling_parent() -> list[dict[str, Any]]:
    nodes = _chain("par", [("user", "Translate 'tree' to French."), ("assistant", "Arbre.")])
    # A cut-out middle: the second question points at a node that is not in the export.
    nodes.append(g_node("par-3", "par-gone", ["par-4"], "user", ["And to German?"], when=T0 + 30))
    nodes.append(
        g_node(
            "par-4",
            "par-3",
            [],
            "assistant",
            ["Baum."],
            when=T0 + 40,
            metadata={"model_slug": "gpt-5"},
        )
    )
    return [g_conv("conv-dangling-parent", "Dangling parent", nodes, "par-4")]


def chatgpt_parent_only() -> list[dict[str, Any]]:
    nodes = _chain(
        "po",
        [
            ("user", "What is 2 + 2?"),
            ("assistant", "4."),
            ("user", "Times 3?"),
            ("assistant", "12."),
        ],
    )
    for node in nodes:
        node["children"] = []
    return [g_conv("conv-parent-only", "Children lists empty", nodes, "po-4")]


def chatgpt_sparse_nodes() -> list[dict[str, Any]]:
    nodes = [
        g_node("sp-root", None, ["sp-sys"]),
        g_node("sp-sys", "sp-root", ["sp-1"], "system", [""], sparse=True),
        g_node(
            "sp-1",
            "sp-sys",
            ["sp-2"],
            "user",
            [
                {
                    "content_type": "image_asset_pointer",
                    "asset_pointer": "file-service://file-Receipt01",
                    "size_bytes": 48213,
                    "width": 800,
                    "height": 600,
                },
                "What does this receipt total?",
            ],
            content_type="multimodal_text",
            sparse=True,
        ),
        g_node("sp-2", "sp-1", [], "assistant", ["The total is 23.40."], sparse=True),
    ]
    return [
        g_conv(
            "conv-sparse", None, nodes, "sp-2", created=None, model="text-davinci-002-render-sha"
        )
    ]


def chatgpt_voice() -> list[dict[str, Any]]:
    user_parts = [
        {
            "content_type": "audio_transcription",
            "text": "What's a good name for a grey cat?",
            "direction": "in",
            "decoding_id": None,
        },
        {
            "content_type": "real_time_user_audio_video_asset_pointer",
            "frames_asset_pointers": [],
            "video_container_asset_pointer": None,
            "audio_asset_pointer": {
                "content_type": "audio_asset_pointer",
                "asset_pointer": "sediment://file_0000aaaa",
                "size_bytes": 91234,
                "format": "wav",
            },
            "audio_start_timestamp": 3.2,
        },
    ]
    assistant_parts = [
        {
            "content_type": "audio_transcription",
            "text": "How about Smoke or Pebble?",
            "direction": "out",
            "decoding_id": None,
        },
        {
            "content_type": "audio_asset_pointer",
            "asset_pointer": "sediment://file_0000bbbb",
            "size_bytes": 120345,
            "format": "wav",
        },
    ]
    nodes = [
        g_node("vo-root", None, ["vo-1"]),
        g_node(
            "vo-1",
            "vo-root",
            ["vo-2"],
            "user",
            user_parts,
            when=T0 + 10,
            content_type="multimodal_text",
        ),
        g_node(
            "vo-2",
            "vo-1",
            ["vo-3"],
            "assistant",
            assistant_parts,
            when=T0 + 12,
            content_type="multimodal_text",
            metadata={"model_slug": "gpt-4o", "voice_mode_message": True},
        ),
        g_node("vo-3", "vo-2", ["vo-4"], "user", ["Typed: I like Pebble."], when=T0 + 60),
        g_node(
            "vo-4",
            "vo-3",
            [],
            "assistant",
            ["Pebble it is."],
            when=T0 + 62,
            metadata={"model_slug": "gpt-4o"},
        ),
    ]
    return [g_conv("conv-voice", "Advanced Voice", nodes, "vo-4")]


def chatgpt_images() -> list[dict[str, Any]]:
    generated = {
        "content_type": "image_asset_pointer",
        "asset_pointer": "sediment://file_00000000c0ffee",
        "size_bytes": 1523412,
        "width": 1024,
        "height": 1024,
        "metadata": {"dalle": {"gen_id": "gen-1", "prompt": ""}, "generation": {"gen_id": "gen-1"}},
    }
    uploaded = {
        "content_type": "image_asset_pointer",
        "asset_pointer": "file-service://file-Sketch01",
        "size_bytes": 30211,
        "width": 640,
        "height": 480,
    }
    older = {
        "content_type": "image_asset_pointer",
        "asset_pointer": "file-service://file-Dalle01",
        "size_bytes": 402113,
        "width": 1024,
        "height": 1024,
        "metadata": {"dalle": {"gen_id": "d-1", "prompt": "a lighthouse at dusk"}},
    }
    nodes = [
        g_node("im-root", None, ["im-1"]),
        g_node(
            "im-1",
            "im-root",
            ["im-2"],
            "user",
            [uploaded, "Turn my sketch into a watercolour."],
            when=T0 + 10,
            content_type="multimodal_text",
            metadata={
                "attachments": [
                    {
                        "id": "file-Sketch01",
                        "name": "sketch.png",
                        "mime_type": "image/png",
                        "size": 30211,
                    }
                ]
            },
        ),
        g_node(
            "im-2",
            "im-1",
            ["im-3"],
            "assistant",
            None,
            when=T0 + 11,
            content_type="code",
            recipient="t2uay3k.sj1i4kz",
            text='{"prompt": "watercolour of the sketch", "size": "1024x1024"}',
            language="json",
        ),
        g_node(
            "im-3",
            "im-2",
            ["im-4"],
            "tool",
            [generated],
            when=T0 + 40,
            content_type="multimodal_text",
            name="t2uay3k.sj1i4kz",
        ),
        g_node(
            "im-4",
            "im-3",
            ["im-5"],
            "assistant",
            ["Here is the watercolour version."],
            when=T0 + 41,
            metadata={"model_slug": "gpt-4o"},
        ),
        g_node("im-5", "im-4", ["im-6"], "user", ["Now a lighthouse, please."], when=T0 + 90),
        g_node(
            "im-6",
            "im-5",
            ["im-7"],
            "assistant",
            None,
            when=T0 + 91,
            content_type="code",
            recipient="dalle.text2im",
            text='{"prompt": "a lighthouse at dusk"}',
        ),
        g_node(
            "im-7",
            "im-6",
            [],
            "tool",
            [older],
            when=T0 + 120,
            content_type="multimodal_text",
            name="dalle.text2im",
        ),
    ]
    return [g_conv("conv-images", "Images", nodes, "im-7", model="gpt-4o")]


def chatgpt_reasoning() -> list[dict[str, Any]]:
    nodes = [
        g_node("re-root", None, ["re-1"]),
        g_node(
            "re-1", "re-root", ["re-2"], "user", ["Which is larger, 9.11 or 9.9?"], when=T0 + 10
        ),
        g_node(
            "re-2",
            "re-1",
            ["re-3"],
            "assistant",
            None,
            when=T0 + 11,
            content_type="thoughts",
            thoughts=[
                {
                    "summary": "Comparing decimals",
                    "content": "9.9 is 9.90, which exceeds 9.11.",
                    "chunks": [],
                    "finished": True,
                }
            ],
            source_analysis_msg_id="x",
        ),
        g_node(
            "re-3",
            "re-2",
            ["re-4"],
            "assistant",
            None,
            when=T0 + 12,
            content_type="reasoning_recap",
            content="Thought for 4 seconds",
        ),
        g_node(
            "re-4",
            "re-3",
            [],
            "assistant",
            ["9.9 is larger."],
            when=T0 + 13,
            metadata={"model_slug": "o3"},
        ),
    ]
    return [g_conv("conv-reasoning", "Reasoning", nodes, "re-4", model="o3")]


def chatgpt_canvas_memory() -> list[dict[str, Any]]:
    create = json.dumps(
        {"name": "cover_letter", "type": "document", "content": "Dear hiring team, ..."}
    )
    update = json.dumps({"updates": [{"pattern": ".*", "replacement": "Dear Ms Rivera, ..."}]})
    nodes = [
        g_node("cm-root", None, ["cm-1"]),
        g_node(
            "cm-1",
            "cm-root",
            ["cm-2"],
            "user",
            ["Draft a cover letter. Also remember I prefer British spelling."],
            when=T0 + 10,
        ),
        g_node(
            "cm-2",
            "cm-1",
            ["cm-3"],
            "assistant",
            None,
            when=T0 + 11,
            content_type="code",
            recipient="bio",
            text="Prefers British spelling.",
        ),
        g_node(
            "cm-3",
            "cm-2",
            ["cm-4"],
            "tool",
            ["Model set context updated."],
            when=T0 + 12,
            name="bio",
        ),
        g_node(
            "cm-4",
            "cm-3",
            ["cm-5"],
            "assistant",
            None,
            when=T0 + 13,
            content_type="code",
            recipient="canmore.create_textdoc",
            text=create,
        ),
        g_node(
            "cm-5",
            "cm-4",
            ["cm-6"],
            "tool",
            ["Successfully created text document 'cover_letter'"],
            when=T0 + 14,
            name="canmore.create_textdoc",
        ),
        g_node(
            "cm-6",
            "cm-5",
            ["cm-7"],
            "assistant",
            ["I've drafted the letter in the canvas."],
            when=T0 + 15,
            metadata={"model_slug": "gpt-4o"},
        ),
        g_node("cm-7", "cm-6", ["cm-8"], "user", ["Address it to Ms Rivera."], when=T0 + 60),
        g_node(
            "cm-8",
            "cm-7",
            ["cm-9"],
            "assistant",
            None,
            when=T0 + 61,
            content_type="code",
            recipient="canmore.update_textdoc",
            text=update,
        ),
        g_node(
            "cm-9",
            "cm-8",
            ["cm-10"],
            "tool",
            ["Successfully updated text document"],
            when=T0 + 62,
            name="canmore.update_textdoc",
        ),
        g_node(
            "cm-10",
            "cm-9",
            [],
            "assistant",
            ["Done."],
            when=T0 + 63,
            metadata={"model_slug": "gpt-4o"},
        ),
    ]
    return [g_conv("conv-canvas", "Canvas and memory", nodes, "cm-10", model="gpt-4o")]


def chatgpt_custom_gpt_actions() -> list[dict[str, Any]]:
    action = "api_weather_example_com__jit_plugin.getForecast"
    nodes = [
        g_node("ac-root", None, ["ac-1"]),
        g_node(
            "ac-1",
            "ac-root",
            ["ac-2"],
            "user",
            ["Will it rain in Leeds tomorrow?"],
            when=T0 + 10,
            metadata={"gizmo_id": "g-Weather01"},
        ),
        g_node(
            "ac-2",
            "ac-1",
            ["ac-3"],
            "assistant",
            ['{"city": "Leeds", "days": 1}'],
            when=T0 + 11,
            recipient=action,
            metadata={"jit_plugin_data": {"from_server": None}, "model_slug": "gpt-4o"},
        ),
        g_node(
            "ac-3",
            "ac-2",
            ["ac-4"],
            "tool",
            ['{"rain_probability": 0.7}'],
            when=T0 + 13,
            name=action,
            metadata={"jit_plugin_data": {"from_server": {"type": "preview"}}},
        ),
        g_node(
            "ac-4",
            "ac-3",
            [],
            "assistant",
            ["Probably: a 70% chance of rain."],
            when=T0 + 14,
            metadata={"model_slug": "gpt-4o", "gizmo_id": "g-Weather01"},
        ),
    ]
    return [
        g_conv("conv-action", "Weather GPT", nodes, "ac-4", model="gpt-4o", gizmo_id="g-Weather01")
    ]


FIXTURES = {
    "claude_tie_ordered": claude_tie_ordered,
    "claude_token_budget": claude_token_budget,
    "claude_thinking": claude_thinking,
    "claude_mcp_tools": claude_mcp_tools,
    "claude_2024_inline_tags": claude_2024_inline_tags,
    "claude_web_api_single": claude_web_api_single,
    "chatgpt_broken_current_node": chatgpt_broken_current_node,
    "chatgpt_dangling_parent": chatgpt_dangling_parent,
    "chatgpt_parent_only": chatgpt_parent_only,
    "chatgpt_sparse_nodes": chatgpt_sparse_nodes,
    "chatgpt_voice": chatgpt_voice,
    "chatgpt_images": chatgpt_images,
    "chatgpt_reasoning": chatgpt_reasoning,
    "chatgpt_canvas_memory": chatgpt_canvas_memory,
    "chatgpt_custom_gpt_actions": chatgpt_custom_gpt_actions,
}


def main() -> None:
    for name, build in FIXTURES.items():
        (HERE / f"{name}.json").write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
