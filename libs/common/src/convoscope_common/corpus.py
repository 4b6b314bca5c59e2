"""The normalised corpus: every supported export format becomes these types.

Ingest writes a :class:`Corpus` (msgpack) into the corpora object store; the
analyzer and the exporter read it back. Fields only ever get added, with
defaults, so an older corpus still decodes (see msgspec schema evolution).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

import msgspec

from convoscope_common import collector

# 2: every datetime is UTC and shiftable into any timezone; voice, image, thinking-block
# and document counts; MCP servers on tool calls. Corpus objects are named with it, so a
# re-upload after an upgrade is parsed again instead of reusing a corpus without them.
CORPUS_SCHEMA_VERSION = 2

Role = Literal["user", "assistant"]
ROLES: tuple[Role, ...] = get_args(Role)
Source = Literal["claude", "chatgpt"]


class ToolUse(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A tool call the assistant made inside a message."""

    id: str | None = None
    name: str = ""
    # The tool input, re-encoded as compact JSON text (inputs are free-form).
    input_json: str = ""
    # The MCP server (connector) the tool belongs to, when the export says it is one
    # (claude.ai ``mcp_server_url`` / ``is_mcp_app``); None for built-in tools.
    server: str | None = None
    # The call created a document: a claude.ai artifact or file, a ChatGPT canvas.
    creates_document: bool = False


class ToolResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The result of a tool call; ``is_error`` is the export's own error flag."""

    tool_use_id: str | None = None
    name: str = ""
    is_error: bool = False
    text: str = ""


class Citation(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A source the assistant cited."""

    url: str | None = None
    title: str | None = None
    start_index: int | None = None
    end_index: int | None = None


class Attachment(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An uploaded or pasted file; its extracted text is kept apart from what was typed."""

    file_name: str = ""
    file_type: str | None = None
    file_size: int | None = None
    extracted_text: str = ""


class Message(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One visible message of the branch the user saw."""

    id: str
    role: Role
    created_at: datetime | None = None
    # Visible text built from the content blocks (never the lossy claude.ai ``text``
    # unless no blocks exist), without thinking, tool traffic or attachments.
    text: str = ""
    thinking: list[str] = []
    tool_uses: list[ToolUse] = []
    tool_results: list[ToolResult] = []
    citations: list[Citation] = []
    attachments: list[Attachment] = []
    # Names of binary uploads (images, PDFs): the exports carry only the names.
    files: list[str] = []
    model: str | None = None
    # Block types this parser does not know, kept by name so nothing is dropped silently.
    unknown_blocks: list[str] = []
    # Other versions of this message on branches the user left: a regenerated answer
    # (assistant) or an edited prompt (user). Failure evidence for the analyzer.
    abandoned_alternatives: int = 0
    # Reasoning blocks behind the message (a block without readable text counts too,
    # so this can exceed ``len(thinking)``).
    thinking_blocks: int = 0
    # Spoken, not typed: a claude.ai voice note or a ChatGPT (Advanced) Voice turn.
    voice: bool = False
    # Images the assistant generated (ChatGPT image generation, tool-made images) and
    # images the user uploaded with this message.
    images_generated: int = 0
    images_uploaded: int = 0


class Conversation(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One conversation, linearised to the branch the user saw."""

    id: str
    title: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    source: Source = "claude"
    model: str | None = None
    project: str | None = None
    messages: list[Message] = []
    # Messages on branches the user left (regenerations, edits).
    abandoned_messages: int = 0
    # Number of branch points where the user regenerated or edited.
    abandoned_branches: int = 0
    # Messages not shown in the conversation (ChatGPT system, tool traffic, reasoning).
    hidden_messages: int = 0


class SkippedItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An item the parser could not use, and why (no content, only ids)."""

    item: str
    reason: str


class ParseHealth(msgspec.Struct, kw_only=True, omit_defaults=True):
    """How well a file parsed: nothing is skipped without being counted here."""

    items_parsed: int = 0
    items_skipped: int = 0
    skipped: list[SkippedItem] = []
    skipped_reasons: dict[str, int] = {}
    unknown_block_types: dict[str, int] = {}
    hidden_messages: int = 0
    abandoned_messages: int = 0
    files_read: list[str] = []
    # Details beyond the caps above (``skipped``, ``files_read``) are counted, not listed.
    skipped_omitted: int = 0
    files_read_omitted: int = 0
    # Export shapes met while reading (e.g. "claude: token_budget blocks"), with counts.
    shapes: dict[str, int] = {}
    # Decisions ingest took that change what the corpus says (a turn order that does
    # not alternate, a timestamp dropped as out of range, a leaf chosen on a broken tree).
    notes: dict[str, int] = {}
    # A collection's merged corpus (convoscope_ingest.merge): the exports it read, the
    # conversations met in more than one of them and counted once (the newest version
    # kept), and how many of those had changed between exports (edited, continued).
    members: int = 0
    duplicates_merged: int = 0
    duplicates_changed: int = 0


class Project(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A claude.ai project from the export's side files (names only, no documents)."""

    id: str
    name: str | None = None
    created_at: datetime | None = None
    documents: int = 0


class Corpus(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything the analyzer and exporter need from one upload."""

    schema_version: int = CORPUS_SCHEMA_VERSION
    format: str = "claude_json"
    source: Source = "claude"
    conversations: list[Conversation] = []
    health: ParseHealth = msgspec.field(default_factory=ParseHealth)
    # Projects listed in the export (claude.ai ZIPs); exports do not link them to
    # conversations, so Conversation.project is set only where the file says so.
    projects: list[Project] = []
    # A merged corpus only: conversation id -> digest of its content (the active branch
    # and everything the analysis reads from it), the key that incremental analysis
    # reuses per-conversation partial results under (combined with the options digest).
    content_hashes: dict[str, str] = {}
    # A merged corpus only: the id a merge gave a conversation because another vendor's
    # conversation has its id (``chatgpt:<id>``) -> the id its export gave it, so a later
    # merge that starts from this corpus knows it as the export did.
    renamed_ids: dict[str, str] = {}


_corpus_encoder = msgspec.msgpack.Encoder()
_corpus_decoder = msgspec.msgpack.Decoder(Corpus)


def encode_corpus(corpus: Corpus) -> bytes:
    """Serialise a corpus for the object store (msgpack)."""
    return _corpus_encoder.encode(corpus)


def decode_corpus(data: bytes | bytearray) -> Corpus:
    """Read a corpus written by :func:`encode_corpus`."""
    with collector.paused():
        return _corpus_decoder.decode(data)


def corpus_shell_type(name: str = "CorpusShell") -> type[msgspec.Struct]:
    """``Corpus`` with its conversations left encoded (``msgspec.Raw``): the same fields,
    order, defaults and ``omit_defaults``, so a shell encodes exactly as the corpus it
    stands for. Readers that split a stored corpus without decoding every conversation
    (the analyzer's shards and loader, ingest's merge) decode it as a shell."""
    fields: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(Corpus):
        kind = list[msgspec.Raw] if f.name == "conversations" else f.type
        if f.default is not msgspec.NODEFAULT:
            fields.append((f.name, kind, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, kind, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, kind))  # type: ignore[arg-type]
    config = Corpus.__struct_config__
    return msgspec.defstruct(name, fields, kw_only=True, omit_defaults=config.omit_defaults)
