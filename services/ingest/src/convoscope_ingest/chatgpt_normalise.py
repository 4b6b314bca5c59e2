"""ChatGPT conversations (raw Structs) to the normalised corpus types.

The displayed branch comes from :mod:`convoscope_ingest.chatgpt_tree`. Hidden nodes on
it (system, tool traffic, reasoning, user context; EXPORT_FORMATS.md §2.8) are counted,
and their reasoning, tool traffic and generated images are attached to the next visible
assistant message (or, at the end of a branch, the last one), so nothing the analyzer
needs is lost. Each shape met (voice, images, canvas, memory, custom-GPT actions, sparse
2023 nodes) is counted in parse health.
"""

from __future__ import annotations

import re
from collections import Counter

import msgspec

from convoscope_common.corpus import Citation, Conversation, Message, Role, ToolResult, ToolUse
from convoscope_ingest.chatgpt_raw import (
    RawConversation,
    RawMessage,
    RawMetadata,
    RawPart,
    part_decoder,
)
from convoscope_ingest.chatgpt_tree import (
    ROLES,
    children_of,
    displayed_path,
    is_hidden,
    left_alternatives,
)
from convoscope_ingest.health import HealthRecorder, bounded_name
from convoscope_ingest.timeparse import from_epoch

_TEXT_TYPES = frozenset({"text", "multimodal_text"})
_VOICE_PARTS = frozenset(
    {
        "audio_transcription",
        "audio_asset_pointer",
        "real_time_user_audio_video_asset_pointer",
    }
)
# Non-string parts we understand: their content goes to text, files or counts.
_KNOWN_PARTS = _VOICE_PARTS | {"image_asset_pointer", "video_container_asset_pointer"}
_CANVAS_CREATE = "canmore.create_textdoc"
# Citation markers: 【12†source】 (older) and U+E200 ... U+E201 spans (newer).
_CITATION_MARKERS = re.compile("【[^】]*】|\ue200[^\ue201]*\ue201|[\ue200-\ue2ff]")


class _Parts(msgspec.Struct):
    """What the ``parts`` of one message hold besides text."""

    text: str = ""
    files: list[str] = []
    images: int = 0
    voice: bool = False


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
    if raw.title is None:
        health.shape("chatgpt: conversations with null title")
    if raw.gizmo_id and not raw.gizmo_id.startswith("g-p-"):
        health.shape("chatgpt: custom GPT conversations")
    mapping = raw.mapping or {}
    children = children_of(mapping, health)
    path = displayed_path(mapping, children, raw.current_node, health)
    on_path = set(path)
    builder = _BranchBuilder(raw.default_model_slug, health)
    # Alternatives found at a branch point belong to the next visible message, which may
    # sit below hidden nodes (a regenerated answer often starts with its reasoning).
    pending: Counter[Role] = Counter()
    for node_id, left in zip(path, left_alternatives(mapping, children, path), strict=True):
        pending.update(left)
        message = mapping[node_id].message
        shown = builder.add(node_id, message) if message is not None else None
        if shown is not None:
            shown.abandoned_alternatives = pending[shown.role]
            pending.clear()
    builder.finish()
    abandoned = sum(
        1
        for node_id, node in mapping.items()
        if node_id not in on_path and node.message is not None and not is_hidden(node.message)
    )
    return Conversation(
        id=conversation_id,
        title=(raw.title or "").strip() or None,
        created_at=from_epoch(raw.create_time, health),
        updated_at=from_epoch(raw.update_time, health),
        source="chatgpt",
        model=raw.default_model_slug,
        project=raw.gizmo_id if raw.gizmo_id and raw.gizmo_id.startswith("g-p-") else None,
        messages=builder.messages,
        abandoned_messages=abandoned,
        abandoned_branches=sum(1 for kids in children.values() if len(kids) > 1),
        hidden_messages=builder.hidden,
    )


class _BranchBuilder:
    """Turns the messages of the displayed branch into visible corpus messages."""

    def __init__(self, default_model: str | None, health: HealthRecorder) -> None:
        self.default_model = default_model
        self.health = health
        self.messages: list[Message] = []
        self.hidden = 0
        self._thinking: list[str] = []
        self._thinking_blocks = 0
        self._tool_uses: list[ToolUse] = []
        self._tool_results: list[ToolResult] = []
        self._images = 0
        # The last hidden tool message that carried generated images: the UI shows its
        # images as the answer when no text answer follows.
        self._image_node: tuple[str, float | None, list[str]] | None = None

    def add(self, node_id: str, raw: RawMessage) -> Message | None:
        """Take the next node of the branch; returns the message it shows, if any."""
        if raw.status is None or raw.weight is None or raw.metadata is None:
            self.health.shape("chatgpt: messages without status, weight or metadata")
        if is_hidden(raw):
            self.hidden += 1
            self._collect_hidden(node_id, raw)
            return None
        message = self._visible(node_id, raw)
        if message is None:
            self.hidden += 1
            return None
        if message.role == "assistant":
            self._hand_over(message)
        else:
            self._image_answer()
        self.messages.append(message)
        return message

    def finish(self) -> None:
        """Close the branch: generated images nobody answered in text become the answer;
        other tool traffic after the last answer (a memory update) belongs to it."""
        self._image_answer()
        if self.messages and self.messages[-1].role == "assistant":
            self._hand_over(self.messages[-1])

    def _image_answer(self) -> None:
        """Settle pending generated images before the next question or the end: they
        belong to the answer just given, or, when the question has none, they are the
        answer (shown as an assistant turn of their own, as the UI shows them)."""
        if not self._images or self._image_node is None:
            return
        if self.messages and self.messages[-1].role == "assistant":
            self._hand_over(self.messages[-1])
            return
        node_id, created, files = self._image_node
        message = Message(
            id=node_id,
            role="assistant",
            created_at=from_epoch(created, self.health),
            files=files,
            model=self.default_model,
        )
        self._hand_over(message)
        self.messages.append(message)
        self.hidden -= 1  # the tool message is shown after all
        self.health.shape("chatgpt: answers made of generated images only")

    def _hand_over(self, message: Message) -> None:
        message.thinking = self._thinking + message.thinking
        message.thinking_blocks += self._thinking_blocks
        message.tool_uses = message.tool_uses + self._tool_uses
        message.tool_results = message.tool_results + self._tool_results
        message.images_generated += self._images
        self._thinking, self._tool_uses, self._tool_results = [], [], []
        self._thinking_blocks = self._images = 0
        self._image_node = None

    def _collect_hidden(self, node_id: str, raw: RawMessage) -> None:
        """Keep reasoning, tool traffic and generated images for the next visible answer."""
        content = raw.content
        if content is None:
            return
        role = raw.author.role if raw.author else ""
        if content.content_type == "thoughts":
            self.health.shape("chatgpt: thoughts nodes")
            self._thinking_blocks += 1
            for thought in content.thoughts or []:
                text = thought.content or thought.summary
                if text:
                    self._thinking.append(text)
        elif content.content_type == "reasoning_recap":
            self.health.shape("chatgpt: reasoning_recap nodes")
        elif role == "assistant" and raw.recipient not in (None, "all"):
            self._tool_uses.append(self._tool_call(raw))
        elif role == "tool":
            name = (raw.author.name if raw.author else None) or ""
            self._tool_shape(name)
            parts = self._parts(content.parts)
            self._images += parts.images
            if parts.images:
                self._image_node = (raw.id or node_id, raw.create_time, parts.files)
            self._tool_results.append(
                ToolResult(
                    name=bounded_name(name),
                    is_error=content.content_type == "system_error",
                    text=content.text or parts.text,
                )
            )

    def _tool_call(self, raw: RawMessage) -> ToolUse:
        recipient = raw.recipient or ""
        self._tool_shape(recipient)
        content = raw.content
        return ToolUse(
            id=raw.id,
            name=bounded_name(recipient),
            input_json=_as_json(content.text if content else None),
            creates_document=recipient == _CANVAS_CREATE,
        )

    def _tool_shape(self, name: str) -> None:
        if name.startswith("canmore."):
            self.health.shape("chatgpt: canvas (canmore.*) tool messages")
        elif name == "bio":
            self.health.shape("chatgpt: memory (bio) tool messages")
        elif "jit_plugin" in name:
            self.health.shape("chatgpt: custom GPT action messages")

    def _visible(self, node_id: str, raw: RawMessage) -> Message | None:
        role = ROLES[raw.author.role if raw.author else ""]
        content = raw.content
        unknown: list[str] = []
        parts = _Parts()
        if content is not None:
            if content.content_type not in _TEXT_TYPES:
                unknown.append(bounded_name(content.content_type or "(no type)"))
                self.health.unknown_block(content.content_type)
            parts = self._parts(content.parts, unknown)
        text = parts.text or (content.text if content is not None else None) or ""
        files = parts.files
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
        if not text and not files and not parts.images:
            return None  # empty messages are hidden (placeholders, aborted turns)
        if raw.create_time is None:
            self.health.shape("chatgpt: visible messages with null create_time")
        model = None
        if role == "assistant":
            model = metadata.model_slug if metadata else None
            if model is None and (self.default_model or (metadata and metadata.default_model_slug)):
                self.health.shape("chatgpt: model only in default_model_slug")
            model = model or (metadata.default_model_slug if metadata else None)
            model = model or self.default_model
        return Message(
            id=raw.id or node_id,
            role=role,
            created_at=from_epoch(raw.create_time, self.health),
            text=text,
            citations=citations,
            files=files,
            model=model,
            unknown_blocks=unknown,
            voice=parts.voice,
            images_uploaded=parts.images if role == "user" else 0,
            images_generated=parts.images if role == "assistant" else 0,
        )

    def _parts(
        self, raw_parts: list[msgspec.Raw] | None, unknown: list[str] | None = None
    ) -> _Parts:
        """Text of ``parts`` (strings and voice transcriptions), image names and counts."""
        result = _Parts()
        texts: list[str] = []
        for raw_part in raw_parts or []:
            try:
                part = part_decoder.decode(raw_part)
            except msgspec.ValidationError:
                self._unknown("(non-text part)", unknown)
                continue
            if isinstance(part, str):
                if part:
                    texts.append(part)
                continue
            self.health.shape("chatgpt: parts holding objects")
            self._read_part(part, result, texts, unknown)
        result.text = "\n".join(texts)
        return result

    def _read_part(
        self, part: RawPart, result: _Parts, texts: list[str], unknown: list[str] | None
    ) -> None:
        kind = part.content_type
        if kind in _VOICE_PARTS:
            self.health.shape(f"chatgpt: voice parts ({kind})")
            result.voice = True
            if kind == "audio_transcription" and part.text:
                texts.append(part.text)
        elif kind == "image_asset_pointer":
            self.health.shape("chatgpt: image_asset_pointer parts")
            result.images += 1
            if part.asset_pointer:
                if part.asset_pointer.startswith("sediment://"):
                    self.health.shape("chatgpt: sediment:// asset pointers")
                result.files.append(bounded_name(part.asset_pointer.rsplit("/", 1)[-1], 256))
        elif kind not in _KNOWN_PARTS:
            self._unknown(kind or "(no type)", unknown)

    def _unknown(self, kind: str, unknown: list[str] | None) -> None:
        if unknown is not None:
            unknown.append(bounded_name(kind))
        self.health.unknown_block(kind)


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
