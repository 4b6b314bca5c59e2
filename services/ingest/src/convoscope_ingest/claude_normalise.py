"""claude.ai conversations (raw Structs) to the normalised corpus types.

Visible text is built from the content blocks, not from the lossy ``text`` field (which
inlines thinking and replaces tool calls with placeholder fences); ``text`` is used only
when a message has no blocks, with the placeholders removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Message,
    Role,
    ToolResult,
    ToolUse,
)
from convoscope_ingest.claude_raw import (
    RawBlock,
    RawConversation,
    RawMessage,
    tool_result_items_decoder,
)
from convoscope_ingest.health import HealthRecorder
from convoscope_ingest.timeparse import parse_iso

ROOT_SENTINEL = "00000000-0000-4000-8000-000000000000"
_ROLES: dict[str, Role] = {"human": "user", "user": "user", "assistant": "assistant"}
# Blocks that carry nothing to show; known, so not reported as unknown.
_SILENT_BLOCKS = frozenset({"token_budget", "flag"})
_BLOCK_SEPARATOR = "\n\n"
_PLACEHOLDER_FENCE = re.compile(
    r"\n*```\n(?:This block is not supported on your current device yet\."
    r"|Viewing artifacts created via the Analysis Tool web feature preview isn[’']t yet "
    r"supported on mobile\.)\n```\n*"
)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def strip_placeholders(text: str) -> str:
    """Remove the tool/artifact placeholder fences the export writes into ``text``."""
    return _PLACEHOLDER_FENCE.sub("\n\n", text).strip()


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
    path, branch_points = _visible_branch(raw_messages, ids)
    alternatives = _abandoned_alternatives(raw_messages, path)
    messages: list[Message] = []
    for index, left in zip(path, alternatives, strict=True):
        message = _normalise_message(raw_messages[index], ids[index], raw.uuid, health)
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
        created_at=parse_iso(raw.created_at),
        updated_at=parse_iso(raw.updated_at),
        source="claude",
        model=model,
        project=project,
        messages=messages,
        abandoned_messages=len(raw_messages) - len(path),
        abandoned_branches=branch_points,
        hidden_messages=0,
    )


def _time_key(message: RawMessage, index: int) -> tuple[datetime, int]:
    return (parse_iso(message.created_at) or _EARLIEST, index)


def _visible_branch(messages: list[RawMessage], ids: list[str]) -> tuple[list[int], int]:
    """Indexes of the branch the user saw, in order, and the number of branch points.

    Without any parent links (2024 exports) every message is shown in time order.
    With links: the leaf is the latest message that nobody names as parent; walk up to
    the root sentinel, a missing parent, or a cycle.
    """
    if not any(m.parent_message_uuid for m in messages):
        return sorted(range(len(messages)), key=lambda i: _time_key(messages[i], i)), 0
    index_of = {message_id: i for i, message_id in enumerate(ids)}
    children: dict[str, int] = {}
    for message in messages:
        parent = message.parent_message_uuid or ROOT_SENTINEL
        children[parent] = children.get(parent, 0) + 1
    branch_points = sum(1 for count in children.values() if count > 1)
    leaves = [i for i, message_id in enumerate(ids) if message_id not in children]
    if not leaves:  # every message is someone's parent: only possible with a cycle
        leaves = list(range(len(messages)))
    current: int | None = max(leaves, key=lambda i: _time_key(messages[i], i))
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
    raw: RawMessage, message_id: str, conversation_id: str, health: HealthRecorder
) -> Message | None:
    role = _ROLES.get(raw.sender)
    if role is None:
        health.skip(f"message {message_id} in {conversation_id}", "unsupported sender")
        return None
    message = Message(id=message_id, role=role, created_at=parse_iso(raw.created_at))
    if raw.content:
        _apply_blocks(message, raw.content, health)
    elif raw.text:
        message.text = strip_placeholders(raw.text)
    message.attachments = [
        Attachment(
            file_name=a.file_name or "",
            file_type=a.file_type,
            file_size=int(a.file_size) if a.file_size is not None else None,
            extracted_text=a.extracted_content or "",
        )
        for a in raw.attachments or []
    ]
    message.files = [f.file_name for f in raw.files or [] if f.file_name]
    message.model = raw.model
    if _is_empty(message):
        health.skip(f"message {message_id} in {conversation_id}", "empty message")
        return None
    return message


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


def _apply_blocks(message: Message, blocks: list[RawBlock], health: HealthRecorder) -> None:
    """Fill text, thinking, tools, citations and unknown blocks from the content blocks."""
    pieces: list[str] = []
    offset = 0  # where the next text piece starts in the joined text
    for block in blocks:
        kind = block.type
        if kind == "text" or kind == "voice_note":
            piece = block.text or ""
            if kind == "voice_note" and block.title:
                piece = f"{block.title}\n{piece}" if piece else block.title
            if not piece:
                continue
            if pieces:
                offset += len(_BLOCK_SEPARATOR)
            message.citations.extend(_citations(block, offset))
            pieces.append(piece)
            offset += len(piece)
        elif kind == "thinking":
            thought = block.thinking or "\n".join(
                s.summary for s in block.summaries or [] if s.summary
            )
            if thought:
                message.thinking.append(thought)
        elif kind == "tool_use":
            message.tool_uses.append(_tool_use(block))
        elif kind == "tool_result":
            message.tool_results.append(
                ToolResult(
                    tool_use_id=block.tool_use_id,
                    name=block.name or "",
                    is_error=bool(block.is_error),
                    text=_tool_result_text(block.content),
                )
            )
        elif kind not in _SILENT_BLOCKS:
            message.unknown_blocks.append(kind or "(no type)")
            health.unknown_block(kind)
    message.text = _BLOCK_SEPARATOR.join(pieces)


def _citations(block: RawBlock, offset: int) -> list[Citation]:
    """Citations of a text block, with indices moved into the joined message text."""
    result = []
    for c in block.citations or []:
        details = c.details
        result.append(
            Citation(
                url=(details.url if details else None) or c.url,
                title=(details.title if details else None) or c.title,
                start_index=None if c.start_index is None else c.start_index + offset,
                end_index=None if c.end_index is None else c.end_index + offset,
            )
        )
    return result


class _ToolCallId(msgspec.Struct):
    tool_call_id: str | None = msgspec.field(default=None, name="_tool_call_id")


_tool_call_id_decoder = msgspec.json.Decoder(_ToolCallId | None)


def _tool_use(block: RawBlock) -> ToolUse:
    input_json = ""
    tool_id = block.id
    if bytes(block.input) != b"null":
        input_json = msgspec.json.format(block.input, indent=0).decode()
        if tool_id is None:
            # Some captures move the id into the input.
            try:
                found = _tool_call_id_decoder.decode(block.input)
            except msgspec.ValidationError:
                found = None
            tool_id = found.tool_call_id if found is not None else None
    return ToolUse(id=tool_id, name=block.name or "", input_json=input_json)


def _tool_result_text(content: msgspec.Raw) -> str:
    """Readable text of a tool result: text items, search hits, produced file paths."""
    try:
        items = tool_result_items_decoder.decode(content)
    except msgspec.ValidationError:
        return ""
    if items is None:
        return ""
    if isinstance(items, str):
        return items
    lines = []
    for item in items:
        if item.type == "knowledge":
            parts = [p for p in (item.title, item.url, item.text) if p]
            lines.append("\n".join(parts))
        elif item.text:
            lines.append(item.text)
        elif item.file_path:
            lines.append(item.file_path)
    return "\n\n".join(line for line in lines if line)
