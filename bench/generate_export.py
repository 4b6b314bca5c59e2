"""Generate large, realistic claude.ai and ChatGPT exports (invented content, real shapes).

Both vendors get branches (regenerations, edits), thinking, tool calls and results,
citations, attachments; ChatGPT also gets hidden nodes (system, user context, reasoning,
tool traffic). Text is drawn from sentences on several subjects, with PII-like values
(emails, phone numbers) sprinkled in so downstream analysis has something to find.

    python bench/generate_export.py --vendor claude --size-mb 130 -o out.json
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

SUBJECTS: dict[str, list[str]] = {
    "coding": [
        "My Python script throws a KeyError when the config file has no database section.",
        "Could you refactor this function so it streams the rows instead of loading them all?",
        "The unit test passes locally but fails in CI with a timeout after sixty seconds.",
        "Use a dictionary lookup instead of the chain of if statements to keep it readable.",
        "The regular expression needs a non-greedy quantifier, otherwise it eats the closing tag.",
        "Add type hints and a docstring, then run the linter before you commit the change.",
        "A generator keeps memory flat because it yields one record at a time.",
        "The race condition disappears once both workers acquire the lock in the same order.",
    ],
    "cooking": [
        "How long should I rest the dough before shaping the loaves?",
        "Toast the cumin seeds in a dry pan until they smell nutty, then grind them.",
        "The sauce split because the butter went in while the pan was still too hot.",
        "For a weeknight dinner, roast the vegetables on one tray with the chicken thighs.",
        "Replace half of the sugar with grated apple and the cake stays moist for days.",
        "Salt the pasta water generously; it should taste a little like the sea.",
    ],
    "travel": [
        "I have four days in Lisbon in April; which neighbourhoods should I stay in?",
        "Book the early train to Porto, it is cheaper and the views along the coast are better.",
        "My connecting flight is only fifty minutes; is that enough time to change terminals?",
        "Pack layers, because mornings in the mountains are cold even in summer.",
        "The museum pass pays for itself if you visit three museums in two days.",
    ],
    "health": [
        "I have been sleeping badly since I started running in the evenings.",
        "Try moving the workout earlier and keep the bedroom cool and dark.",
        "Stretching after the run helps, but the soreness should fade within two days.",
        "Drink water steadily through the day rather than a lot at once.",
        "If the knee pain persists for more than a week, see a physiotherapist.",
    ],
    "finance": [
        "How much of my salary should go into the emergency fund each month?",
        "Aim for three to six months of expenses before investing the rest.",
        "The index fund has lower fees than the managed fund and a similar return.",
        "Track every expense for one month; the small subscriptions add up quickly.",
        "Paying off the credit card first saves more than the savings account earns.",
    ],
    "writing": [
        "Can you tighten this paragraph without losing the main argument?",
        "Start the cover letter with the achievement that matches the job description.",
        "Cut the adverbs and let the verbs carry the sentence.",
        "The second chapter drags because the conflict only appears on page forty.",
        "Read the draft aloud; awkward rhythm is easier to hear than to see.",
    ],
}
REACTIONS = [
    "Thanks, that worked perfectly!",
    "That is not what I asked, please read my question again.",
    "Great, can you explain the second step in more detail?",
    "Hmm, this still fails with the same error.",
    "Perfect, thank you so much.",
    "You are wrong about that, the documentation says otherwise.",
]
FIRST_NAMES = ["alex", "maria", "sam", "priya", "jonas", "li", "fatima", "tom"]
DOMAINS = ["example.com", "mail.example.org", "corp.example.net"]
ROOT_SENTINEL = "00000000-0000-4000-8000-000000000000"
PLACEHOLDER = "\n```\nThis block is not supported on your current device yet.\n```\n"


# Vocabulary for --unique: one generated clause per text makes (nearly) every message
# text distinct, as in a real export, so no per-text cache can flatter a benchmark.
_NOUNS = (
    "budget report invoice schedule draft parser cache server garden recipe ticket route "
    "spreadsheet deadline meeting contract playlist backup migration dashboard query "
    "chapter outline lecture workout itinerary receipt license battery printer kitchen "
    "balcony window ledger notebook template pipeline sensor lantern harbour orchard"
).split()
_VERBS = (
    "moves shrinks breaks doubles stalls reappears fits slips drifts changes loops "
    "vanishes improves lags repeats"
).split()
_ADJECTIVES = (
    "quarterly blue hidden nightly shared broken older newer second final spare noisy "
    "quiet heavy spare tiny careful brittle"
).split()
_OPENERS = ("Also,", "By the way,", "Note that", "For context,", "Separately,", "Oddly,")


class _Writer:
    """Random helpers tied to one seeded generator."""

    def __init__(self, seed: int, unique: bool = False) -> None:
        self.rng = random.Random(seed)
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)
        self.unique = unique

    def clause(self) -> str:
        """A generated sentence; about 10^9 combinations."""
        r = self.rng
        return (
            f"{r.choice(_OPENERS)} the {r.choice(_ADJECTIVES)} {r.choice(_NOUNS)} "
            f"{r.choice(_VERBS)} when the {r.choice(_NOUNS)} {r.choice(_VERBS)} "
            f"after {r.randint(2, 9999)} {r.choice(_NOUNS)}s."
        )

    def reaction(self) -> str:
        text = self.rng.choice(REACTIONS)
        return f"{text} {self.clause()}" if self.unique else text

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def subject(self) -> str:
        return self.rng.choice(list(SUBJECTS))

    def sentences(self, subject: str, low: int, high: int) -> str:
        pool = SUBJECTS[subject]
        picked = [self.rng.choice(pool) for _ in range(self.rng.randint(low, high))]
        if self.rng.random() < 0.08:
            picked.append(f"You can reach me at {self.email()} if needed.")
        if self.rng.random() < 0.05:
            picked.append(f"My number is {self.phone()}.")
        if self.unique:
            picked.insert(self.rng.randint(0, len(picked)), self.clause())
        return " ".join(picked)

    def email(self) -> str:
        name = self.rng.choice(FIRST_NAMES)
        return f"{name}.{self.rng.randint(1, 999)}@{self.rng.choice(DOMAINS)}"

    def phone(self) -> str:
        return f"+1 415 555 {self.rng.randint(0, 9999):04d}"

    def tick(self, low: float, high: float) -> datetime:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))
        return self.clock

    def iso(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- claude.ai ------------------------------------------------------------------------


def _claude_text_block(w: _Writer, text: str, stamp: str, cite: bool) -> dict[str, Any]:
    citations = []
    if cite and len(text) > 40:
        citations.append(
            {
                "uuid": w.uuid(),
                "start_index": 0,
                "end_index": 40,
                "details": {"type": "web_search_citation", "url": "https://docs.example/a"},
            }
        )
    return {
        "start_timestamp": stamp,
        "stop_timestamp": stamp,
        "flags": None,
        "type": "text",
        "text": text,
        "citations": citations,
    }


def _claude_assistant(w: _Writer, subject: str, parent: str) -> dict[str, Any]:
    created = w.tick(2, 30)
    stamp = w.iso(created)
    blocks: list[dict[str, Any]] = []
    flat: list[str] = []
    if w.rng.random() < 0.4:
        thought = w.sentences(subject, 1, 3)
        blocks.append(
            {
                "start_timestamp": stamp,
                "stop_timestamp": stamp,
                "flags": None,
                "type": "thinking",
                "thinking": thought,
                "summaries": [{"summary": "Thinking about the request."}],
                "cut_off": False,
            }
        )
        flat.append(thought)
    searched = w.rng.random() < 0.3
    if searched:
        tool_id = "toolu_" + w.uuid().replace("-", "")[:24]
        blocks.append(
            {
                "start_timestamp": stamp,
                "stop_timestamp": stamp,
                "flags": None,
                "type": "tool_use",
                "id": tool_id,
                "name": "web_search",
                "input": {"query": f"{subject} advice"},
                "message": "Searching the web",
                "display_content": None,
            }
        )
        blocks.append(
            {
                "start_timestamp": None,
                "stop_timestamp": None,
                "flags": None,
                "type": "tool_result",
                "tool_use_id": tool_id,
                "name": "web_search",
                "content": [
                    {
                        "type": "knowledge",
                        "title": f"A guide to {subject}",
                        "url": "https://docs.example/a",
                        "text": w.sentences(subject, 1, 2),
                        "is_missing": False,
                        "is_citable": True,
                    }
                ],
                "is_error": w.rng.random() < 0.1,
            }
        )
        blocks.append({"start_timestamp": stamp, "stop_timestamp": stamp, "type": "token_budget"})
        flat.append(PLACEHOLDER)
    if w.rng.random() < 0.01:
        blocks.append({"type": "injected_prompt_block", "start_timestamp": stamp})
    answer = w.sentences(subject, 2, 8)
    blocks.append(_claude_text_block(w, answer, stamp, cite=searched))
    flat.append(answer)
    return {
        "uuid": w.uuid(),
        "text": "".join(flat),
        "content": blocks,
        "sender": "assistant",
        "created_at": stamp,
        "updated_at": stamp,
        "attachments": [],
        "files": [],
        "parent_message_uuid": parent,
    }


def _claude_human(w: _Writer, subject: str, parent: str, first: bool) -> dict[str, Any]:
    created = w.tick(20, 600)
    stamp = w.iso(created)
    text = w.sentences(subject, 1, 3) if first else w.reaction()
    attachments = []
    if w.rng.random() < 0.1:
        attachments.append(
            {
                "file_name": "",
                "file_size": 300,
                "file_type": "txt",
                "extracted_content": w.sentences(subject, 3, 10),
            }
        )
    files = [{"file_uuid": w.uuid(), "file_name": "photo.jpeg"}] if w.rng.random() < 0.05 else []
    return {
        "uuid": w.uuid(),
        "text": text,
        "content": [_claude_text_block(w, text, stamp, cite=False)],
        "sender": "human",
        "created_at": stamp,
        "updated_at": stamp,
        "attachments": attachments,
        "files": files,
        "parent_message_uuid": parent,
    }


def iter_claude_conversations(seed: int, unique: bool = False) -> Iterator[dict[str, Any]]:
    """Endless claude.ai conversations (current shape, with branches)."""
    w = _Writer(seed, unique)
    while True:
        subject = w.subject()
        start = w.tick(3600, 86400)
        messages: list[dict[str, Any]] = []
        parent = ROOT_SENTINEL
        for turn in range(w.rng.randint(1, 8)):
            human = _claude_human(w, subject, parent, first=turn == 0)
            messages.append(human)
            if w.rng.random() < 0.1:  # a regenerated answer: the first one is abandoned
                messages.append(_claude_assistant(w, subject, human["uuid"]))
            answer = _claude_assistant(w, subject, human["uuid"])
            messages.append(answer)
            parent = answer["uuid"]
        title = w.rng.choice([f"{subject.title()} question", "", None, f"Help with {subject}"])
        yield {
            "uuid": w.uuid(),
            "name": title,
            "summary": "",
            "created_at": w.iso(start),
            "updated_at": w.iso(w.clock),
            "account": {"uuid": "a1b2c3d4-0e1f-4a2b-8c3d-4e5f6a7b8c9d"},
            "chat_messages": messages,
        }


# --- ChatGPT --------------------------------------------------------------------------


def _gpt_node(
    mapping: dict[str, Any], w: _Writer, parent: str, message: dict[str, Any] | None
) -> str:
    node_id = w.uuid()
    mapping[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
    mapping[parent]["children"].append(node_id)
    if message is not None:
        message["id"] = node_id
    return node_id


def _gpt_message(
    role: str,
    content: dict[str, Any],
    when: float | None,
    *,
    name: str | None = None,
    recipient: str = "all",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": when,
        "update_time": when,
        "content": content,
        "status": "finished_successfully",
        "end_turn": None,
        "weight": 1.0,
        "metadata": metadata or {},
        "recipient": recipient,
        "channel": None,
    }


def iter_chatgpt_conversations(seed: int, unique: bool = False) -> Iterator[dict[str, Any]]:
    """Endless ChatGPT conversations with hidden nodes, tool traffic and branches."""
    w = _Writer(seed, unique)
    while True:
        subject = w.subject()
        start = w.tick(3600, 86400).timestamp()
        mapping: dict[str, Any] = {
            "client-created-root": {
                "id": "client-created-root",
                "message": None,
                "parent": None,
                "children": [],
            }
        }
        system = _gpt_message(
            "system",
            {"content_type": "text", "parts": [""]},
            None,
            metadata={"is_visually_hidden_from_conversation": True},
        )
        current = _gpt_node(mapping, w, "client-created-root", system)
        if w.rng.random() < 0.3:
            context = _gpt_message(
                "user",
                {"content_type": "user_editable_context", "user_profile": "Preferred name: Sam"},
                None,
                metadata={"is_visually_hidden_from_conversation": True},
            )
            current = _gpt_node(mapping, w, current, context)
        model = w.rng.choice(["gpt-4o", "gpt-5-1", "gpt-5-1-thinking"])
        for turn in range(w.rng.randint(1, 8)):
            text = w.sentences(subject, 1, 3) if turn == 0 else w.reaction()
            user = _gpt_message(
                "user", {"content_type": "text", "parts": [text]}, w.tick(20, 600).timestamp()
            )
            user_id = _gpt_node(mapping, w, current, user)
            meta = {"model_slug": model, "default_model_slug": model}
            if w.rng.random() < 0.1:  # a regenerated answer left behind
                old = _gpt_message(
                    "assistant",
                    {"content_type": "text", "parts": [w.sentences(subject, 1, 4)]},
                    w.tick(2, 20).timestamp(),
                    metadata=meta,
                )
                _gpt_node(mapping, w, user_id, old)
            current = user_id
            if w.rng.random() < 0.3:
                thoughts = _gpt_message(
                    "assistant",
                    {
                        "content_type": "thoughts",
                        "thoughts": [
                            {"summary": "Thinking", "content": w.sentences(subject, 1, 2)}
                        ],
                    },
                    w.tick(1, 5).timestamp(),
                    metadata=meta,
                )
                current = _gpt_node(mapping, w, current, thoughts)
                recap = _gpt_message(
                    "assistant",
                    {"content_type": "reasoning_recap", "content": "Thought for 5s"},
                    w.tick(1, 5).timestamp(),
                    metadata=meta,
                )
                current = _gpt_node(mapping, w, current, recap)
            if w.rng.random() < 0.2:
                code = _gpt_message(
                    "assistant",
                    {"content_type": "code", "language": "unknown", "text": "print(6 * 7)"},
                    w.tick(1, 5).timestamp(),
                    recipient="python",
                    metadata=meta,
                )
                current = _gpt_node(mapping, w, current, code)
                output = _gpt_message(
                    "tool",
                    {"content_type": "execution_output", "text": "42"},
                    w.tick(1, 5).timestamp(),
                    name="python",
                )
                current = _gpt_node(mapping, w, current, output)
            answer = _gpt_message(
                "assistant",
                {"content_type": "text", "parts": [w.sentences(subject, 2, 8)]},
                w.tick(2, 30).timestamp(),
                metadata=meta,
            )
            current = _gpt_node(mapping, w, current, answer)
        conversation_id = w.uuid()
        yield {
            "title": w.rng.choice([f"{subject.title()} help", None, f"About {subject}"]),
            "create_time": start,
            "update_time": w.clock.timestamp(),
            "mapping": mapping,
            "current_node": current,
            "conversation_id": conversation_id,
            "default_model_slug": model,
            "id": conversation_id,
        }


# --- whole exports --------------------------------------------------------------------

_ITERATORS = {"claude": iter_claude_conversations, "chatgpt": iter_chatgpt_conversations}
_encoder = msgspec.json.Encoder()


def _export(vendor: str, n_conversations: int, seed: int) -> bytes:
    conversations = _ITERATORS[vendor](seed)
    items = [_encoder.encode(next(conversations)) for _ in range(n_conversations)]
    return b"[" + b",".join(items) + b"]"


def generate_claude_export(n_conversations: int, seed: int = 0) -> bytes:
    """A claude.ai ``conversations.json`` with ``n_conversations`` conversations."""
    return _export("claude", n_conversations, seed)


def generate_chatgpt_export(n_conversations: int, seed: int = 0) -> bytes:
    """A ChatGPT ``conversations.json`` with ``n_conversations`` conversations."""
    return _export("chatgpt", n_conversations, seed)


def write_export(
    vendor: str, size_bytes: int, path: Path, seed: int = 0, unique: bool = False
) -> int:
    """Write an export of about ``size_bytes`` to ``path``; returns the conversation count.

    ``unique=True`` adds a generated clause to every text (>= 95 % distinct texts).
    """
    conversations = _ITERATORS[vendor](seed, unique)
    written = 0
    count = 0
    with path.open("wb") as out:
        out.write(b"[")
        while written < size_bytes:
            item = _encoder.encode(next(conversations))
            if count:
                out.write(b",")
            out.write(item)
            written += len(item) + 1
            count += 1
        out.write(b"]")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendor", choices=sorted(_ITERATORS), default="claude")
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument(
        "--unique", action="store_true", help="make (nearly) every message text distinct"
    )
    args = parser.parse_args(argv)
    count = write_export(
        args.vendor, int(args.size_mb * 1024 * 1024), args.output, args.seed, args.unique
    )
    size = args.output.stat().st_size
    print(f"wrote {args.output}: {count} conversations, {size / 1024 / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
