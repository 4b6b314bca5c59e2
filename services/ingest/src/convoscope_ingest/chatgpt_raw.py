"""The ChatGPT export shapes as msgspec Structs (only the fields ingest reads).

``content`` is one struct for every ``content_type``; ``parts`` stay raw because they
mix strings and objects. Every key is optional (2023 dumps omit null-valued keys).
"""

from __future__ import annotations

import msgspec


class RawAuthor(msgspec.Struct):
    role: str = ""
    name: str | None = None


class RawContent(msgspec.Struct):
    content_type: str = ""
    parts: list[msgspec.Raw] | None = None
    text: str | None = None
    language: str | None = None
    # thoughts
    thoughts: list[RawThought] | None = None
    # reasoning_recap
    content: str | None = None
    # tether_quote
    url: str | None = None
    title: str | None = None


class RawThought(msgspec.Struct):
    summary: str | None = None
    content: str | None = None


class RawPart(msgspec.Struct):
    """A non-string entry of ``parts`` (image, audio transcription, ...)."""

    content_type: str = ""
    asset_pointer: str | None = None
    text: str | None = None


class RawCitationMeta(msgspec.Struct):
    url: str | None = None
    title: str | None = None


class RawCitation(msgspec.Struct):
    start_ix: int | None = None
    end_ix: int | None = None
    metadata: RawCitationMeta | None = None


class RawReferenceItem(msgspec.Struct):
    url: str | None = None
    title: str | None = None


class RawContentReference(msgspec.Struct):
    type: str | None = None
    items: list[RawReferenceItem] | None = None
    safe_urls: list[str] | None = None


class RawUpload(msgspec.Struct):
    name: str | None = None
    mime_type: str | None = None
    size: int | float | None = None


class RawMetadata(msgspec.Struct):
    model_slug: str | None = None
    default_model_slug: str | None = None
    is_visually_hidden_from_conversation: bool | None = None
    is_user_system_message: bool | None = None
    citations: list[RawCitation] | None = None
    content_references: list[RawContentReference] | None = None
    attachments: list[RawUpload] | None = None


class RawMessage(msgspec.Struct):
    id: str | None = None
    author: RawAuthor | None = None
    create_time: float | None = None
    content: RawContent | None = None
    status: str | None = None
    weight: float | None = None
    recipient: str | None = None
    channel: str | None = None
    metadata: RawMetadata | None = None


class RawNode(msgspec.Struct):
    id: str | None = None
    message: RawMessage | None = None
    parent: str | None = None
    children: list[str] | None = None


class RawConversation(msgspec.Struct):
    id: str | None = None
    conversation_id: str | None = None
    title: str | None = None
    create_time: float | None = None
    update_time: float | None = None
    mapping: dict[str, RawNode] | None = None
    current_node: str | None = None
    default_model_slug: str | None = None
    gizmo_id: str | None = None


conversation_decoder = msgspec.json.Decoder(RawConversation)
part_decoder = msgspec.json.Decoder(str | RawPart)
