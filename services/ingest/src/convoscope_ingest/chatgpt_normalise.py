"""ChatGPT conversations (raw Structs) to the normalised corpus types.

The displayed branch is the walk from ``current_node`` up through ``parent``. Hidden
nodes on it (system, tool traffic, reasoning, user context; EXPORT_FORMATS.md §2.8) are
counted, and their reasoning and tool traffic is attached to the next visible assistant
message as thinking, tool uses and tool results, so nothing the analyzer needs is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import msgspec

from convoscope_common.corpus import Citation, Conversation, Message, Role, ToolResult, ToolUse
from convoscope_ingest.chatgpt_raw import (
    RawConversation,
    RawMessage,
    RawMetadata,
    RawNode,
    RawPart,
    part_decoder,
)
from convoscope_ingest.health import HealthRecorder
from convoscope_ingest.timeparse import from_epoch

_ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant"}
_TEXT_TYPES = frozenset({"text", "multimodal_text"})
_HIDDEN_TYPES = frozenset(
    {
        "thoughts",
        "reasoning_recap",
        "tether_browsing_display",
        "sonic_webpage",
        "system_error",
        "model_editable_context",
        "user_editable_context",
    }
)
# Non-string parts we understand: their content goes to text or files.
_KNOWN_PARTS = frozenset(
    {
        "image_asset_pointer",
        "audio_transcription",
        "audio_asset_pointer",
        "real_time_user_audio_video_asset_pointer",
        "video_container_asset_pointer",
    }
)
# Citation markers: 【12†source】 (older) and U+E200 ... U+E201 spans (newer).
_CITATION_MARKERS = re.compile("【[^】]*】|\ue200[^\ue201]*\ue201|[\ue200-\ue2ff]")


def normalise_conversation(raw: RawConversation, health: HealthRecorder) -> Conversation | None:
    """One ChatGPT conversation, linearised to the branch shown in the UI.

    Returns None (and records why) when the conversation has no id.
    """
    conversation_id = raw.id or raw.conversation_id
    if raw.mapping is None:
        health.skip(conversation_id or "conversation", "not a conversation of this export")
        return None
    if not conversation_id:
        health.skip("conversation (no id)", "conversation without id")
        return None
    mapping = raw.mapping or {}
    children = _children(mapping)
    path = _displayed_path(mapping, children, raw.current_node)
    on_path = set(path)
    builder = _BranchBuilder(raw.default_model_slug, health)
    # Alternatives found at a branch point belong to the next visible message, which may
    # sit below hidden nodes (a regenerated answer often starts with its reasoning).
    pending: Counter[Role] = Counter()
    for node_id, left in zip(path, _left_alternatives(mapping, children, path), strict=True):
        pending.update(left)
        message = mapping[node_id].message
        shown = builder.add(node_id, message) if message is not None else None
        if shown is not None:
            shown.abandoned_alternatives = pending[shown.role]
            pending.clear()
    abandoned = sum(
        1
        for node_id, node in mapping.items()
        if node_id not in on_path and node.message is not None and not _is_hidden(node.message)
    )
    return Conversation(
        id=conversation_id,
        title=(raw.title or "").strip() or None,
        created_at=from_epoch(raw.create_time),
        updated_at=from_epoch(raw.update_time),
        source="chatgpt",
        model=raw.default_model_slug,
        project=raw.gizmo_id if raw.gizmo_id and raw.gizmo_id.startswith("g-p-") else None,
        messages=builder.messages,
        abandoned_messages=abandoned,
        abandoned_branches=sum(1 for kids in children.values() if len(kids) > 1),
        hidden_messages=builder.hidden,
    )


def _children(mapping: dict[str, RawNode]) -> dict[str, list[str]]:
    """Children per node, rebuilt from ``parent`` links (some exports lack ``children``)."""
    children: dict[str, list[str]] = {}
    for node_id, node in mapping.items():
        if node.parent is not None and node.parent in mapping:
            children.setdefault(node.parent, []).append(node_id)
    return children


def _displayed_path(
    mapping: dict[str, RawNode], children: dict[str, list[str]], current_node: str | None
) -> list[str]:
    """Node ids from the root to the shown leaf (``current_node`` or the latest leaf)."""
    if not mapping:
        return []
    leaf = current_node
    if leaf is None or leaf not in mapping:
        leaves = [node_id for node_id in mapping if node_id not in children]

        def created(node_id: str) -> float:
            message = mapping[node_id].message
            return (message.create_time if message else None) or float("-inf")

        leaf = max(leaves or list(mapping), key=created)
    path: list[str] = []
    seen: set[str] = set()
    node_id: str | None = leaf
    while node_id is not None and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        path.append(node_id)
        node_id = mapping[node_id].parent
    path.reverse()
    return path


def _left_alternatives(
    mapping: dict[str, RawNode], children: dict[str, list[str]], path: list[str]
) -> list[set[Role]]:
    """Per node of the displayed path, the roles of the sibling branches the user left.

    A sibling is an alternative for a role when it is, or leads through hidden nodes to,
    a visible message of that role; a sibling holding only hidden nodes is none.
    """
    result: list[set[Role]] = [set()] if path else []  # one entry per node of the path
    seen: set[str] = set(path)  # also guards against parent cycles in damaged exports
    for parent, node_id in pairwise(path):
        roles: set[Role] = set()
        for sibling in children.get(parent, []):
            if sibling != node_id and sibling not in seen:
                roles.update(_first_visible_roles(mapping, children, sibling, seen))
        result.append(roles)
    return result


def _first_visible_roles(
    mapping: dict[str, RawNode], children: dict[str, list[str]], start: str, seen: set[str]
) -> set[Role]:
    """Roles of the first visible messages below ``start`` (itself included), one per role."""
    roles: set[Role] = set()
    stack = [start]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        message = mapping[node_id].message
        if message is not None and not _is_hidden(message):
            roles.add(_ROLES[message.author.role if message.author else ""])
        else:
            stack.extend(children.get(node_id, []))
    return roles


def _is_hidden(message: RawMessage) -> bool:
    """Whether the ChatGPT UI leaves this message out of the transcript (§2.8)."""
    role = message.author.role if message.author else ""
    content = message.content
    content_type = content.content_type if content else ""
    metadata = message.metadata
    if metadata is not None and metadata.is_visually_hidden_from_conversation:
        return True
    if role not in _ROLES:  # system, tool, function
        return True
    if content_type in _HIDDEN_TYPES or content_type == "code":
        return True
    return role == "assistant" and message.recipient not in (None, "all")


class _BranchBuilder:
    """Turns the messages of the displayed branch into visible corpus messages."""

    def __init__(self, default_model: str | None, health: HealthRecorder) -> None:
        self.default_model = default_model
        self.health = health
        self.messages: list[Message] = []
        self.hidden = 0
        self._thinking: list[str] = []
        self._tool_uses: list[ToolUse] = []
        self._tool_results: list[ToolResult] = []

    def add(self, node_id: str, raw: RawMessage) -> Message | None:
        """Take the next node of the branch; returns the message it shows, if any."""
        if _is_hidden(raw):
            self.hidden += 1
            self._collect_hidden(raw)
            return None
        message = self._visible(node_id, raw)
        if message is None:
            self.hidden += 1
            return None
        if message.role == "assistant":
            message.thinking = self._thinking + message.thinking
            message.tool_uses = self._tool_uses
            message.tool_results = self._tool_results
            self._thinking, self._tool_uses, self._tool_results = [], [], []
        self.messages.append(message)
        return message

    def _collect_hidden(self, raw: RawMessage) -> None:
        """Keep reasoning and tool traffic for the next visible assistant message."""
        content = raw.content
        if content is None:
            return
        role = raw.author.role if raw.author else ""
        if content.content_type == "thoughts":
            for thought in content.thoughts or []:
                text = thought.content or thought.summary
                if text:
                    self._thinking.append(text)
        elif role == "assistant" and raw.recipient not in (None, "all"):
            self._tool_uses.append(
                ToolUse(id=raw.id, name=raw.recipient or "", input_json=_as_json(content.text))
            )
        elif role == "tool":
            self._tool_results.append(
                ToolResult(
                    name=(raw.author.name if raw.author else None) or "",
                    is_error=content.content_type == "system_error",
                    text=content.text or _joined_parts(content.parts, [], [], self.health),
                )
            )

    def _visible(self, node_id: str, raw: RawMessage) -> Message | None:
        role = _ROLES[raw.author.role if raw.author else ""]
        content = raw.content
        files: list[str] = []
        unknown: list[str] = []
        text = ""
        if content is not None:
            if content.content_type not in _TEXT_TYPES:
                unknown.append(content.content_type or "(no type)")
                self.health.unknown_block(content.content_type)
            text = _joined_parts(content.parts, files, unknown, self.health) or content.text or ""
        metadata = raw.metadata
        citations: list[Citation] = []
        if metadata is not None:
            uploads = [u.name for u in metadata.attachments or [] if u.name]
            if uploads:
                files = uploads  # real names beat asset pointer ids
            citations = _citations(metadata)
        if _CITATION_MARKERS.search(text):
            text = _CITATION_MARKERS.sub("", text)
        text = text.strip()
        if not text and not files:
            return None  # empty messages are hidden (placeholders, aborted turns)
        model = None
        if role == "assistant":
            model = (metadata.model_slug or metadata.default_model_slug) if metadata else None
            model = model or self.default_model
        return Message(
            id=raw.id or node_id,
            role=role,
            created_at=from_epoch(raw.create_time),
            text=text,
            citations=citations,
            files=files,
            model=model,
            unknown_blocks=unknown,
        )


def _joined_parts(
    parts: list[msgspec.Raw] | None, files: list[str], unknown: list[str], health: HealthRecorder
) -> str:
    """Text of ``parts``: strings and audio transcriptions; images go to ``files``."""
    texts: list[str] = []
    for raw_part in parts or []:
        try:
            part = part_decoder.decode(raw_part)
        except msgspec.ValidationError:
            unknown.append("(non-text part)")
            health.unknown_block("(non-text part)")
            continue
        if isinstance(part, str):
            if part:
                texts.append(part)
        elif isinstance(part, RawPart):
            if part.content_type == "audio_transcription" and part.text:
                texts.append(part.text)
            elif part.asset_pointer and part.content_type == "image_asset_pointer":
                files.append(part.asset_pointer.rsplit("/", 1)[-1])
            elif part.content_type not in _KNOWN_PARTS:
                unknown.append(part.content_type or "(no type)")
                health.unknown_block(part.content_type)
    return "\n".join(texts)


def _citations(metadata: RawMetadata) -> list[Citation]:
    """Sources from ``metadata.citations`` and ``content_references`` (markers are stripped,
    so character offsets would be wrong and are left out)."""
    result: list[Citation] = []
    seen: set[str] = set()
    for c in metadata.citations or []:
        if c.metadata is not None and c.metadata.url and c.metadata.url not in seen:
            seen.add(c.metadata.url)
            result.append(Citation(url=c.metadata.url, title=c.metadata.title))
    for ref in metadata.content_references or []:
        for item in ref.items or []:
            if item.url and item.url not in seen:
                seen.add(item.url)
                result.append(Citation(url=item.url, title=item.title))
    return result


def _as_json(text: str | None) -> str:
    """Tool-call input as compact JSON: the payload itself when it is JSON, else a string."""
    if not text:
        return ""
    try:
        return msgspec.json.format(text.encode(), indent=0).decode()
    except msgspec.DecodeError:
        return msgspec.json.encode(text).decode()
