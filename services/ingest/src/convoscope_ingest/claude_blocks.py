"""claude.ai content blocks to the fields of a corpus message.

Visible text is built from the blocks; thinking, tool traffic, citations and the blocks
that carry nothing to show (``token_budget``, ``flag``) go to their own fields or are
counted as shapes in parse health. The 2024 text-only shape, where artifacts and
thinking sit inline as ``<antArtifact>`` / ``<antThinking>`` tags, is read into the
same fields as the later block shapes, so counts do not depend on the export's age.
"""

from __future__ import annotations

import re

import msgspec

from convoscope_common.corpus import Citation, Message, ToolResult, ToolUse
from convoscope_ingest.claude_raw import RawBlock, tool_result_items_decoder
from convoscope_ingest.health import HealthRecorder, bounded_name

# Blocks that carry nothing to show; known, so not reported as unknown.
_SILENT_BLOCKS = frozenset({"token_budget", "flag"})
BLOCK_SEPARATOR = "\n\n"
_PLACEHOLDER_FENCE = re.compile(
    r"\n*```\n(?:This block is not supported on your current device yet\."
    r"|Viewing artifacts created via the Analysis Tool web feature preview isn[’']t yet "
    r"supported on mobile\.)\n```\n*"
)
_ANT_THINKING = re.compile(r"<antThinking>(.*?)(?:</antThinking>|\Z)", re.S)
_ANT_ARTIFACT = re.compile(r"<antArtifact\b([^>]*)>(.*?)(?:</antArtifact>|\Z)", re.S)
_TAG_ATTRIBUTE = re.compile(r'([A-Za-z_]+)="([^"]*)"')
# Tools whose call creates a document the user sees next to the chat.
_DOCUMENT_TOOLS = frozenset({"create_file"})
_IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "heic", "bmp", "svg"})
_MAX_INDEX = 2**53  # citation offsets beyond this are not offsets into any real text


class _ArtifactInput(msgspec.Struct):
    command: str | None = None


_artifact_input_decoder = msgspec.json.Decoder(_ArtifactInput | None)


class _ToolCallId(msgspec.Struct):
    tool_call_id: str | None = msgspec.field(default=None, name="_tool_call_id")


_tool_call_id_decoder = msgspec.json.Decoder(_ToolCallId | None)


def strip_placeholders(text: str) -> str:
    """Remove the tool/artifact placeholder fences the export writes into ``text``."""
    return _PLACEHOLDER_FENCE.sub("\n\n", text).strip()


def is_image_name(name: str) -> bool:
    """Whether a file name (claude.ai exports keep only names) is an image."""
    return name.rsplit(".", 1)[-1].lower() in _IMAGE_EXTENSIONS if "." in name else False


def apply_inline_tags(message: Message, text: str, health: HealthRecorder) -> str:
    """Move 2024-style inline ``<antThinking>`` / ``<antArtifact>`` tags out of ``text``.

    Thinking becomes a thinking block; an artifact becomes an ``artifacts`` tool call
    (as the later block shape writes it), so the visible text keeps only the prose.
    """
    if "<ant" not in text:
        return text

    def thinking(match: re.Match[str]) -> str:
        health.shape("claude: inline <antThinking> tags")
        message.thinking_blocks += 1
        if match.group(1).strip():
            message.thinking.append(match.group(1).strip())
        return ""

    def artifact(match: re.Match[str]) -> str:
        health.shape("claude: inline <antArtifact> tags")
        attributes = dict(_TAG_ATTRIBUTE.findall(match.group(1)))
        payload = {
            "command": "create",
            "id": attributes.get("identifier"),
            "type": attributes.get("type"),
            "title": attributes.get("title"),
            "language": attributes.get("language"),
            "content": match.group(2).strip("\n"),
        }
        message.tool_uses.append(
            ToolUse(
                name="artifacts",
                input_json=msgspec.json.encode(
                    {k: v for k, v in payload.items() if v is not None}
                ).decode(),
                creates_document=True,
            )
        )
        return ""

    text = _ANT_THINKING.sub(thinking, text)
    text = _ANT_ARTIFACT.sub(artifact, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def apply_blocks(message: Message, blocks: list[RawBlock], health: HealthRecorder) -> None:
    """Fill text, thinking, tools, citations and unknown blocks from the content blocks."""
    pieces: list[str] = []
    offset = 0  # where the next text piece starts in the joined text
    for block in blocks:
        kind = block.type
        if kind == "text" or kind == "voice_note":
            piece = block.text or ""
            if kind == "voice_note":
                health.shape("claude: voice_note blocks")
                message.voice = True
                if block.title:
                    piece = f"{block.title}\n{piece}" if piece else block.title
            if message.role == "assistant":
                piece = apply_inline_tags(message, piece, health)
            if not piece:
                continue
            if pieces:
                offset += len(BLOCK_SEPARATOR)
            message.citations.extend(_citations(block, offset))
            pieces.append(piece)
            offset += len(piece)
        elif kind == "thinking":
            _thinking(message, block, health)
        elif kind == "tool_use":
            message.tool_uses.append(_tool_use(block, health))
        elif kind == "tool_result":
            text, images = _tool_result_text(block.content, health)
            message.images_generated += images
            message.tool_results.append(
                ToolResult(
                    tool_use_id=block.tool_use_id,
                    name=block.name or "",
                    is_error=bool(block.is_error),
                    text=text,
                )
            )
        elif kind in _SILENT_BLOCKS:
            health.shape(f"claude: {kind} blocks")
        else:
            message.unknown_blocks.append(bounded_name(kind or "(no type)"))
            health.unknown_block(kind)
    message.text = BLOCK_SEPARATOR.join(pieces)


def _thinking(message: Message, block: RawBlock, health: HealthRecorder) -> None:
    health.shape("claude: thinking blocks")
    message.thinking_blocks += 1
    if block.signature:
        health.shape("claude: thinking blocks with signature")
    if block.truncated or block.cut_off:
        health.shape("claude: thinking blocks cut off")
    thought = block.thinking
    if not thought and block.summaries:
        health.shape("claude: thinking blocks with summaries only")
        thought = "\n".join(s.summary for s in block.summaries if s.summary)
    if thought:
        message.thinking.append(thought)


def _citations(block: RawBlock, offset: int) -> list[Citation]:
    """Citations of a text block, with indices moved into the joined message text."""
    result = []
    for c in block.citations or []:
        details = c.details
        result.append(
            Citation(
                url=(details.url if details else None) or c.url,
                title=(details.title if details else None) or c.title,
                start_index=_shifted(c.start_index, offset),
                end_index=_shifted(c.end_index, offset),
            )
        )
    return result


def _shifted(index: int | None, offset: int) -> int | None:
    if index is None or not 0 <= index <= _MAX_INDEX:
        return None
    return index + offset


def _tool_use(block: RawBlock, health: HealthRecorder) -> ToolUse:
    input_json = ""
    tool_id = block.id
    name = block.name or ""
    creates_document = name in _DOCUMENT_TOOLS
    if bytes(block.input) != b"null":
        input_json = msgspec.json.format(block.input, indent=0).decode()
        if tool_id is None:
            # Some captures move the id into the input.
            try:
                found = _tool_call_id_decoder.decode(block.input)
            except msgspec.ValidationError:
                found = None
            tool_id = found.tool_call_id if found is not None else None
        if name == "artifacts":
            try:
                artifact = _artifact_input_decoder.decode(block.input)
            except msgspec.ValidationError:
                artifact = None
            creates_document = artifact is not None and artifact.command == "create"
    server = None
    if block.is_mcp_app or block.mcp_server_url:
        health.shape("claude: MCP tool calls")
        server = _server_name(block)
    if block.approval_key:
        health.shape("claude: tool calls with approval_key")
    return ToolUse(
        id=tool_id,
        name=bounded_name(name),
        input_json=input_json,
        server=server,
        creates_document=creates_document,
    )


def _server_name(block: RawBlock) -> str:
    """The MCP server of a tool call: the ``Server:`` prefix of the tool name, else the
    integration name. The ``mcp_server_url`` host is not used: a self-hosted server's
    host or address can name a person, and summaries are not redacted by host."""
    name = block.name or ""
    if ":" in name and name.split(":", 1)[0].strip():
        return bounded_name(name.split(":", 1)[0].strip())
    if block.integration_name:
        return bounded_name(block.integration_name)
    return "(unnamed server)"


def _tool_result_text(content: msgspec.Raw, health: HealthRecorder) -> tuple[str, int]:
    """Readable text of a tool result (text items, search hits, produced file paths) and
    the number of images it carries."""
    try:
        items = tool_result_items_decoder.decode(content)
    except msgspec.ValidationError:
        return "", 0
    if items is None:
        return "", 0
    if isinstance(items, str):
        return items, 0
    lines = []
    images = 0
    for item in items:
        if item.type == "knowledge":
            health.shape("claude: tool results with knowledge items")
            parts = [p for p in (item.title, item.url, item.text) if p]
            lines.append("\n".join(parts))
        elif item.type == "local_resource":
            health.shape("claude: tool results with local_resource items")
            lines.append(item.file_path or item.name or "")
        elif item.type in ("image", "image_gallery"):
            images += 1
        elif item.text:
            lines.append(item.text)
        elif item.file_path:
            lines.append(item.file_path)
    return "\n\n".join(line for line in lines if line), images
