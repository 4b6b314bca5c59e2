"""The claude.ai export shapes as msgspec Structs (only the fields ingest reads).

Everything is optional with a default: the 2024 shape lacks ``summary``,
``parent_message_uuid`` and block timestamps, and unknown fields are ignored. Content
blocks are ONE struct with a free ``type`` so an unknown block type never fails a parse.
Timestamps stay strings here and are parsed leniently during normalisation.
"""

from __future__ import annotations

import msgspec

# msgspec.Raw cannot sit in a union, so "absent" is spelled as a raw JSON null.
RAW_NULL = msgspec.Raw(b"null")


class RawCitationDetails(msgspec.Struct):
    type: str | None = None
    url: str | None = None
    title: str | None = None


class RawCitation(msgspec.Struct):
    start_index: int | None = None
    end_index: int | None = None
    details: RawCitationDetails | None = None
    # Some captures put url/title on the citation itself.
    url: str | None = None
    title: str | None = None


class RawThinkingSummary(msgspec.Struct):
    summary: str = ""


class RawBlock(msgspec.Struct):
    """Any content block; which fields are set depends on ``type``."""

    type: str = ""
    # text, voice_note
    text: str | None = None
    title: str | None = None
    citations: list[RawCitation] | None = None
    # thinking
    thinking: str | None = None
    summaries: list[RawThinkingSummary] | None = None
    signature: str | None = None
    truncated: bool | None = None
    cut_off: bool | None = None
    # tool_use
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = RAW_NULL
    # MCP / connector tools (tool_use and tool_result)
    is_mcp_app: bool | None = None
    mcp_server_url: str | None = None
    integration_name: str | None = None
    approval_key: str | None = None
    # tool_result: content is a list of items or (defensively) a string
    tool_use_id: str | None = None
    content: msgspec.Raw = RAW_NULL
    is_error: bool | None = None


class RawToolResultItem(msgspec.Struct):
    type: str = ""
    text: str | None = None
    title: str | None = None
    url: str | None = None
    file_path: str | None = None
    name: str | None = None
    file_uuid: str | None = None


class RawAttachment(msgspec.Struct):
    file_name: str | None = None
    file_size: int | float | None = None
    file_type: str | None = None
    extracted_content: str | None = None


class RawFile(msgspec.Struct):
    file_name: str | None = None
    file_uuid: str | None = None
    # files_v2 (web-API captures): "image" or "document"
    file_kind: str | None = None


class RawMessage(msgspec.Struct):
    uuid: str = ""
    text: str | None = None
    content: list[RawBlock] | None = None
    sender: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    attachments: list[RawAttachment] | None = None
    files: list[RawFile] | None = None
    parent_message_uuid: str | None = None
    # API captures (not official exports) may carry the model and ``files_v2``.
    model: str | None = None
    files_v2: list[RawFile] | None = None


class RawProjectRef(msgspec.Struct):
    uuid: str | None = None
    name: str | None = None


class RawConversation(msgspec.Struct):
    uuid: str = ""
    name: str | None = None
    summary: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    chat_messages: list[RawMessage] | None = None
    # Only in API-captured files, read when present.
    model: str | None = None
    current_leaf_message_uuid: str | None = None
    project_uuid: str | None = None
    project: RawProjectRef | None = None


class RawProject(msgspec.Struct):
    """A project from ``projects.json`` or ``projects/<uuid>.json``."""

    uuid: str = ""
    name: str | None = None
    created_at: str | None = None
    docs: list[msgspec.Raw] | None = None


conversation_decoder = msgspec.json.Decoder(RawConversation)
tool_result_items_decoder = msgspec.json.Decoder(list[RawToolResultItem] | str | None)
project_decoder = msgspec.json.Decoder(RawProject)
