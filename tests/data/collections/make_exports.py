"""Writes the hand-made exports of the collection truth tests (run once; outputs committed).

Four exports of one person: two claude.ai exports (January, March) and two ChatGPT
exports (A, B). Known answers (tests/unit/ingest/test_merge_truth.py):
- claude "c-tomato" is in both claude exports, unchanged (a duplicate, not changed);
- claude "c-taxes" is in both, continued in March (4 messages instead of 2): edited;
- claude "c-bikes" is new in March; chatgpt "g-switch" is in both ChatGPT exports,
  unchanged, and switches model mid-conversation (gpt-4o, then o3);
- chatgpt "g-poems" only in A, "g-default" only in B (model only in default_model_slug).
Every title and message text is distinctive, so the share-safe test can look for it.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent


def ts(s: str) -> str:
    return s + "Z"


def claude_conv(uuid, name, created, updated, turns):
    messages = []
    for i, (sender, text, at) in enumerate(turns):
        messages.append(
            {
                "uuid": f"{uuid}-m{i}",
                "text": text,
                "content": [
                    {
                        "type": "text",
                        "text": text,
                        "start_timestamp": ts(at),
                        "stop_timestamp": ts(at),
                        "citations": [],
                    }
                ],
                "sender": sender,
                "created_at": ts(at),
                "updated_at": ts(at),
                "attachments": [],
                "files": [],
                "parent_message_uuid": f"{uuid}-m{i - 1}"
                if i
                else "00000000-0000-4000-8000-000000000000",
            }
        )
    return {
        "uuid": uuid,
        "name": name,
        "summary": "",
        "created_at": ts(created),
        "updated_at": ts(updated),
        "account": {"uuid": "acct-1"},
        "chat_messages": messages,
    }


def epoch(s: str) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=UTC).timestamp()


def chatgpt_conv(cid, title, turns, default_model):
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for i, (role, text, at, model) in enumerate(turns):
        mid = f"{cid}-m{i}"
        meta = {"model_slug": model} if model else {}
        mapping[mid] = {
            "id": mid,
            "message": {
                "id": mid,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": epoch(at),
                "update_time": None,
                "content": {"content_type": "text", "parts": [text]},
                "status": "finished_successfully",
                "end_turn": role == "assistant",
                "weight": 1.0,
                "metadata": meta,
                "recipient": "all",
                "channel": None,
            },
            "parent": parent,
            "children": [],
        }
        mapping[parent]["children"].append(mid)
        parent = mid
    return {
        "title": title,
        "create_time": epoch(turns[0][2]),
        "update_time": epoch(turns[-1][2]),
        "mapping": mapping,
        "current_node": parent,
        "conversation_id": cid,
        "id": cid,
        "default_model_slug": default_model,
    }


TOMATO = claude_conv(
    "c-tomato",
    "Zephyrine tomato blight",
    "2026-01-05T10:00:00",
    "2026-01-05T10:05:00",
    [
        (
            "human",
            "My zephyrine tomatoes have quillbrown spots on every leaf, what is it?",
            "2026-01-05T10:00:00",
        ),
        (
            "assistant",
            "Those quillbrown spots point to early blight; remove the lowest leaves first.",
            "2026-01-05T10:01:00",
        ),
    ],
)
TAXES_JAN = [
    ("human", "Which marmalix form do I need for the hobby income?", "2026-01-12T09:00:00"),
    (
        "assistant",
        "For marmalix hobby income you file the short supplementary sheet.",
        "2026-01-12T09:01:00",
    ),
]
TAXES_MAR = [
    *TAXES_JAN,
    (
        "human",
        "Thanks, that worked perfectly! Does the brontavel deduction apply too?",
        "2026-03-02T18:00:00",
    ),
    (
        "assistant",
        "I'm sorry, but I can't help with that brontavel question.",
        "2026-03-02T18:01:00",
    ),
]
BIKES = claude_conv(
    "c-bikes",
    "Vellichor bike chain",
    "2026-03-10T07:00:00",
    "2026-03-10T07:03:00",
    [
        (
            "human",
            "How often should I oil the vellichor chain on my commuter bike?",
            "2026-03-10T07:00:00",
        ),
        (
            "assistant",
            "Oil the vellichor chain every two hundred kilometres or after rain.",
            "2026-03-10T07:01:00",
        ),
    ],
)
SWITCH = chatgpt_conv(
    "g-switch",
    "Grimbleton sorting algorithm",
    [
        ("user", "Write a grimbleton sort in Python please.", "2026-02-01T12:00:00", None),
        (
            "assistant",
            "Here is a grimbleton sort: def sort(xs): return sorted(xs)",
            "2026-02-01T12:00:30",
            "gpt-4o",
        ),
        (
            "user",
            "Great, thanks! Now explain its complexity in detail.",
            "2026-02-01T12:05:00",
            None,
        ),
        (
            "assistant",
            "The grimbleton sort runs in n log n time because it delegates to Timsort.",
            "2026-02-01T12:05:40",
            "o3",
        ),
    ],
    "gpt-4o",
)
POEMS = chatgpt_conv(
    "g-poems",
    "Quokkaline haiku",
    [
        ("user", "Write a haiku about a quokkaline sunrise.", "2026-02-14T21:00:00", None),
        (
            "assistant",
            "Quokkaline sunrise / soft fur warming on the rocks / the sea breathes slowly",
            "2026-02-14T21:00:10",
            "gpt-4o",
        ),
    ],
    "gpt-4o",
)
DEFAULT = chatgpt_conv(
    "g-default",
    "Snorvex travel plan",
    [
        ("user", "Plan two days in Snorvex with a small budget.", "2026-03-20T08:00:00", None),
        (
            "assistant",
            "Day one: walk the Snorvex old town; day two: take the cheap ferry.",
            "2026-03-20T08:00:20",
            None,
        ),
    ],
    "gpt-4o-mini",
)


def main() -> None:
    exports = {
        "claude_jan.json": [
            TOMATO,
            claude_conv(
                "c-taxes",
                "Marmalix tax forms",
                "2026-01-12T09:00:00",
                "2026-01-12T09:01:00",
                TAXES_JAN,
            ),
        ],
        "claude_mar.json": [
            TOMATO,
            claude_conv(
                "c-taxes",
                "Marmalix tax forms",
                "2026-01-12T09:00:00",
                "2026-03-02T18:01:00",
                TAXES_MAR,
            ),
            BIKES,
        ],
        "chatgpt_a.json": [SWITCH, POEMS],
        "chatgpt_b.json": [SWITCH, DEFAULT],
    }
    for name, conversations in exports.items():
        (HERE / name).write_text(json.dumps(conversations, indent=1) + "\n")


if __name__ == "__main__":
    main()
