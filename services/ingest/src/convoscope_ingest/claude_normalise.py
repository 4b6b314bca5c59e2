"""claude.ai conversations (raw Structs) to the normalised corpus types.

Visible text is built from the content blocks (:mod:`convoscope_ingest.claude_blocks`),
not from the lossy ``text`` field (which inlines thinking and replaces tool calls with
placeholder fences); ``text`` is used only when a message has no blocks, with the
placeholders removed.

Turn order: with parent links the tree decides. Without them (2024 and some 2025
exports) messages are ordered by time; a question and its answer often share one
``created_at``, so a tie puts the human turn first, and array position decides only
after that (the array order is not reliable, EXPORT_FORMATS.md §1.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from convoscope_common.corpus import Attachment, Conversation, Message, Role
from convoscope_ingest.claude_blocks import (
    apply_blocks,
    apply_inline_tags,
    is_image_name,
    strip_placeholders,
)
from convoscope_ingest.claude_raw import RawAttachment, RawConversation, RawFile, RawMessage
from convoscope_ingest.health import NOTE_SIZE_OUT_OF_RANGE, NOTE_TIE_ORDER, HealthRecorder
from convoscope_ingest.timeparse import TimeNotes, parse_iso

ROOT_SENTINEL = "00000000-0000-4000-8000-000000000000"
_ROLES: dict[str, Role] = {"human": "user", "user": "user", "assistant": "assistant"}
# Tie-break at equal times: the question comes before the answer it gets.
_ROLE_RANK = {"user": 0, "assistant": 1}
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_MAX_SIZE = 2**63 - 1

__all__ = ["normalise_conversation", "strip_placeholders"]


def normalise_conversation(
    raw: RawConversation, health: HealthRecorder, projects: Mapping[str, str]
) -> Conversation | None:
    """One claude.ai conversation, linearised to the branch the user saw.

    Returns None (and records why) when the conversation has no id.
    """
    if raw.chat_messages is None:
        health.skip(raw.uuid or "conversation", "not a conversation of this export")
        return None
    if not raw.uuid:
        health.skip("conversation (no id)", "conversation without id")
        return None
    raw_messages = raw.chat_messages
    ids = [m.uuid or f"{raw.uuid}#{index}" for index, m in enumerate(raw_messages)]
    times = [parse_iso(m.created_at, health) for m in raw_messages]
    leaf = None
    if raw.current_leaf_message_uuid:
        health.shape("claude: web-API conversation (current_leaf_message_uuid)")
        leaf = raw.current_leaf_message_uuid
    if raw_messages and not any(m.parent_message_uuid for m in raw_messages):
        health.shape("claude: conversations without parent links (time order)")
        path, branch_points = _time_order(raw_messages, times, health), 0
    else:
        path, branch_points = _tree_branch(raw_messages, ids, times, leaf)
    alternatives = _abandoned_alternatives(raw_messages, path)
    messages: list[Message] = []
    for index, left in zip(path, alternatives, strict=True):
        message = _normalise_message(
            raw_messages[index], ids[index], times[index], raw.uuid, health
        )
        if message is not None:
            message.abandoned_alternatives = left
            messages.append(message)
    model = raw.model or next((m.model for m in messages if m.model), None)
    project = None
    if raw.project is not None:
        project = raw.project.name or raw.project.uuid
    if project is None and raw.project_uuid:
        project = projects.get(raw.project_uuid, raw.project_uuid)
    return Conversation(
        id=raw.uuid,
        title=(raw.name or "").strip() or None,
        created_at=parse_iso(raw.created_at, health),
        updated_at=parse_iso(raw.updated_at, health),
        source="claude",
        model=model,
        project=project,
        messages=messages,
        abandoned_messages=len(raw_messages) - len(path),
        abandoned_branches=branch_points,
        hidden_messages=0,
    )


def _time_order(
    messages: list[RawMessage], times: list[datetime | None], health: HealthRecorder
) -> list[int]:
    """Indexes in time order; at equal times the human turn first, then array position.

    Messages without a time keep their array order (first, as before): with no time
    there is no tie to break, and ranking them by role would put every question first.
    """

    def key(i: int) -> tuple[datetime, int, int]:
        if times[i] is None:
            return (_EARLIEST, 0, i)
        rank = _ROLE_RANK.get(_ROLES.get(messages[i].sender, "assistant"), 1)
        return (times[i] or _EARLIEST, rank, i)

    order = sorted(range(len(messages)), key=key)
    if order != sorted(range(len(messages)), key=lambda i: (times[i] or _EARLIEST, i)):
        health.note(NOTE_TIE_ORDER)
    return order


def _tree_branch(
    messages: list[RawMessage],
    ids: list[str],
    times: list[datetime | None],
    leaf: str | None,
) -> tuple[list[int], int]:
    """Indexes of the branch the user saw, in order, and the number of branch points.

    The leaf is ``current_leaf_message_uuid`` when a web-API capture names one, else the
    latest message that nobody names as parent; walk up to the root sentinel, a missing
    parent, or a cycle.
    """
    index_of = {message_id: i for i, message_id in enumerate(ids)}
    children: dict[str, int] = {}
    for message in messages:
        parent = message.parent_message_uuid or ROOT_SENTINEL
        children[parent] = children.get(parent, 0) + 1
    branch_points = sum(1 for count in children.values() if count > 1)
    current: int | None = index_of.get(leaf) if leaf else None
    if current is None and messages:
        leaves = [i for i, message_id in enumerate(ids) if message_id not in children]
        if not leaves:  # every message is someone's parent: only possible with a cycle
            leaves = list(range(len(messages)))
        current = max(leaves, key=lambda i: (times[i] or _EARLIEST, i))
    path: list[int] = []
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        path.append(current)
        link = messages[current].parent_message_uuid
        current = index_of.get(link) if link and link != ROOT_SENTINEL else None
    path.reverse()
    return path, branch_points


def _abandoned_alternatives(messages: list[RawMessage], path: list[int]) -> list[int]:
    """Per message of the visible branch, its siblings of the same role the user left.

    Siblings share ``parent_message_uuid`` (a missing link counts as the root, as for the
    branch points); a regenerated answer or an edited prompt leaves one behind. Without
    any parent links (2024 exports) nothing can be told apart, so every count is 0.
    """
    if not any(m.parent_message_uuid for m in messages):
        return [0] * len(path)
    on_path = set(path)
    siblings: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        siblings.setdefault(message.parent_message_uuid or ROOT_SENTINEL, []).append(index)
    counts = []
    for index in path:
        message = messages[index]
        role = _ROLES.get(message.sender)
        group = siblings[message.parent_message_uuid or ROOT_SENTINEL]
        left = [i for i in group if i not in on_path and _ROLES.get(messages[i].sender) == role]
        counts.append(len(left) if role is not None else 0)
    return counts


def _normalise_message(
    raw: RawMessage,
    message_id: str,
    created_at: datetime | None,
    conversation_id: str,
    health: HealthRecorder,
) -> Message | None:
    role = _ROLES.get(raw.sender)
    if role is None:
        health.skip(f"message {message_id} in {conversation_id}", "unsupported sender")
        return None
    message = Message(id=message_id, role=role, created_at=created_at)
    if raw.content:
        apply_blocks(message, raw.content, health)
    elif raw.text:
        health.shape("claude: text-only messages (no content blocks)")
        text = strip_placeholders(raw.text)
        message.text = apply_inline_tags(message, text, health) if role == "assistant" else text
    message.attachments = [_attachment(a, health) for a in raw.attachments or []]
    message.files, message.images_uploaded = _files(raw.files or [], raw.files_v2, health)
    message.model = raw.model
    if _is_empty(message):
        health.skip(f"message {message_id} in {conversation_id}", "empty message")
        return None
    return message


def _attachment(raw: RawAttachment, health: TimeNotes) -> Attachment:
    size = None
    if raw.file_size is not None:
        # A size must fit the corpus encoding (int64); 2**70 or 1e300 is not a size.
        if 0 <= raw.file_size <= _MAX_SIZE:
            size = int(raw.file_size)
        else:
            health.note(NOTE_SIZE_OUT_OF_RANGE)
    return Attachment(
        file_name=raw.file_name or "",
        file_type=raw.file_type,
        file_size=size,
        extracted_text=raw.extracted_content or "",
    )


def _files(
    files: list[RawFile], files_v2: list[RawFile] | None, health: HealthRecorder
) -> tuple[list[str], int]:
    """Names of uploaded files (``files`` and, in web-API captures, ``files_v2``, once
    each) and how many of them are images."""
    if files_v2:
        health.shape("claude: files_v2 uploads")
    names: list[str] = []
    images = 0
    seen: set[str] = set()
    for f in [*files, *(files_v2 or [])]:
        if not f.file_name:
            continue
        if f.file_name in seen:  # files_v2 repeats what files lists
            continue
        seen.add(f.file_name)
        names.append(f.file_name)
        if f.file_kind == "image" or is_image_name(f.file_name):
            images += 1
    return names, images


def _is_empty(message: Message) -> bool:
    return not (
        message.text
        or message.thinking
        or message.tool_uses
        or message.tool_results
        or message.attachments
        or message.files
        or message.unknown_blocks
    )
