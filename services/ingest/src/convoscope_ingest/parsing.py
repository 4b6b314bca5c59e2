"""The ingest entry point: export bytes in, normalised corpus and file metadata out.

Pure: no I/O, no bus. Every rejection is an :class:`~convoscope_ingest.errors.IngestError`
whose ``to_error_info()`` is what the service replies with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import msgspec

from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus, ParseHealth, Project, Source
from convoscope_common.wire import FileMetadata, ParseHealthSummary
from convoscope_ingest import chatgpt_normalise, chatgpt_raw, claude_normalise, claude_raw
from convoscope_ingest.documents import ConversationDocument, item_source, read_document
from convoscope_ingest.errors import (
    ConversationsNotFoundError,
    EmptyFileError,
    IngestError,
    InvalidUtf8Error,
    MixedExportsError,
    NoConversationsError,
    TooLargeError,
)
from convoscope_ingest.health import (
    NOTE_NOT_ALTERNATING,
    NOTE_STARTS_WITH_ASSISTANT,
    HealthRecorder,
)
from convoscope_ingest.jsonguard import decode_error, is_invalid_utf8, refuse_binary, strip_bom
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.projects import read_projects
from convoscope_ingest.zipread import is_zip, read_export_zip

__all__ = ["ParseLimits", "ParsedExport", "check_size", "normalise_item", "parse_export"]


@dataclass(frozen=True)
class ParsedExport:
    """A parsed upload: the corpus for the object store and the metadata for the API."""

    corpus: Corpus
    metadata: FileMetadata


def parse_export(data: bytes | bytearray, *, limits: ParseLimits = ParseLimits()) -> ParsedExport:  # noqa: B008
    """Parse one upload (claude.ai or ChatGPT; JSON or ZIP) into a normalised corpus.

    Raises an :class:`IngestError` subclass for anything that is not a readable export.
    """
    size = len(data)
    check_size(size, limits)
    health = HealthRecorder()
    with collector.paused():  # a bulk decode: millions of objects, no cycles
        corpus = _parse(data, limits, health)
    return ParsedExport(corpus=corpus, metadata=build_metadata(corpus, size))


def check_size(size: int, limits: ParseLimits) -> None:
    """Raise :class:`TooLargeError` or :class:`EmptyFileError` for an upload of ``size`` bytes."""
    if size > limits.max_bytes:
        raise TooLargeError(
            f"the file is {_megabytes(size)} MB; the upload limit is "
            f"{_megabytes(limits.max_bytes)} MB"
        )
    if size == 0:
        raise EmptyFileError()


def _parse(data: bytes | bytearray, limits: ParseLimits, health: HealthRecorder) -> Corpus:
    if is_zip(data):
        corpus = _parse_zip(data, limits, health)
    else:
        refuse_binary(strip_bom(data))
        document = read_document(data, limits.max_json_depth)
        health.file_read("(uploaded file)")
        conversations = _normalise_document(document, data, health, {})
        fmt = f"{document.source}_wrapped_json" if document.wrapped else f"{document.source}_json"
        corpus = _finish(document.source, fmt, conversations, [], health)
    return corpus


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _parse_zip(data: bytes | bytearray, limits: ParseLimits, health: HealthRecorder) -> Corpus:
    contents = read_export_zip(data, limits)
    if not contents.conversation_files:
        raise ConversationsNotFoundError()
    projects: list[Project] = []
    for member in contents.project_files:
        health.file_read(member.name)
        projects.extend(read_projects(member.name, member.data, limits.max_json_depth, health))
    for name in contents.noted_files:
        health.file_read(f"{name} (noted, not stored)")
    project_names = {p.id: p.name or p.id for p in projects}
    documents: list[tuple[str, ConversationDocument, bytes]] = []
    for member in contents.conversation_files:
        try:
            document = read_document(member.data, limits.max_json_depth)
        except NoConversationsError:
            health.file_read(f"{member.name} (empty)")
            continue
        except IngestError as exc:
            # Same error, but saying which file inside the ZIP is at fault.
            raise type(exc)(f"in {member.name}: {exc.message}", details=exc.details) from None
        documents.append((member.name, document, member.data))
    if not documents:
        raise NoConversationsError()
    sources = {document.source for _, document, _ in documents}
    if len(sources) > 1:
        raise MixedExportsError()
    conversations: list[Conversation] = []
    for name, document, member_data in documents:
        health.file_read(name)
        conversations.extend(_normalise_document(document, member_data, health, project_names))
    source = documents[0][1].source
    return _finish(source, f"{source}_zip", conversations, projects, health)


def _normalise_document(
    document: ConversationDocument,
    data: bytes | bytearray,
    health: HealthRecorder,
    project_names: Mapping[str, str],
) -> list[Conversation]:
    """Decode and normalise each conversation on its own, so one bad item is skipped, not fatal."""
    result: list[Conversation] = []
    if document.single:
        health.shape(f"{document.source}: single conversation object (not a list)")
    for index, item in enumerate(document.items):
        try:
            conversation = normalise_item(
                document.source, item, f"conversations[{index}]", health, project_names
            )
        except (UnicodeDecodeError, msgspec.DecodeError) as exc:
            if not is_invalid_utf8(exc):
                raise
            error = decode_error(exc, data)
            raise InvalidUtf8Error(str(error)) from None
        if conversation is not None:
            result.append(conversation)
    return result


def normalise_item(
    source: Source,
    item: msgspec.Raw,
    label: str,
    health: HealthRecorder,
    project_names: Mapping[str, str],
) -> Conversation | None:
    """Decode and normalise one conversation of a ``source`` export; None when skipped
    (counted in ``health`` under ``label``). Invalid UTF-8 raises the decoder's error."""
    try:
        if source == "claude":
            raw_claude = claude_raw.conversation_decoder.decode(item)
            return claude_normalise.normalise_conversation(raw_claude, health, project_names)
        raw_chatgpt = chatgpt_raw.conversation_decoder.decode(item)
        return chatgpt_normalise.normalise_conversation(raw_chatgpt, health)
    except msgspec.ValidationError as exc:
        if item_source(item) != source:
            health.skip(label, "not a conversation of this export")
        else:
            health.skip(label, "invalid conversation", str(exc))
        return None


def _finish(
    source: Source,
    fmt: str,
    conversations: list[Conversation],
    projects: list[Project],
    health: HealthRecorder,
) -> Corpus:
    unique = _deduplicate(conversations, health)
    if not unique:
        raise NoConversationsError(
            "the export contains no readable conversations"
            if health.skipped_reasons
            else "the export contains no conversations"
        )
    note_turn_order(unique, health)
    health.parsed(len(unique) + sum(len(c.messages) for c in unique))
    health.hidden_messages = sum(c.hidden_messages for c in unique)
    health.abandoned_messages = sum(c.abandoned_messages for c in unique)
    return Corpus(
        format=fmt,
        source=source,
        conversations=unique,
        health=health.report(),
        projects=projects,
    )


def note_turn_order(conversations: list[Conversation], health: HealthRecorder) -> None:
    """Count conversations whose roles do not alternate, and those that open with an
    answer: both should be rare, and each one shifts "previous / next answer" relations."""
    for conversation in conversations:
        roles = [m.role for m in conversation.messages]
        if roles and roles[0] == "assistant":
            health.note(NOTE_STARTS_WITH_ASSISTANT)
        if any(a == b for a, b in pairwise(roles)):
            health.note(NOTE_NOT_ALTERNATING)


def _deduplicate(conversations: list[Conversation], health: HealthRecorder) -> list[Conversation]:
    """One conversation per id (batch ZIPs overlap): the most recently updated copy wins."""
    by_id: dict[str, Conversation] = {}
    for conversation in conversations:
        kept = by_id.get(conversation.id)
        if kept is None:
            by_id[conversation.id] = conversation
            continue
        health.skip(f"conversation {conversation.id}", "duplicate conversation")
        if _freshness(conversation) > _freshness(kept):
            by_id[conversation.id] = conversation
    return list(by_id.values())


def _freshness(conversation: Conversation) -> tuple[float, int]:
    updated = conversation.updated_at or conversation.created_at
    return (updated.timestamp() if updated else float("-inf"), len(conversation.messages))


def build_metadata(corpus: Corpus, size: int) -> FileMetadata:
    """Seed-shaped file metadata (size, counts, date range) plus format, source and health."""
    return file_metadata(
        corpus.health,
        fmt=corpus.format,
        source=corpus.source,
        size=size,
        conversations=len(corpus.conversations),
        messages=sum(len(c.messages) for c in corpus.conversations),
        date_range=date_range(corpus.conversations),
    )


def file_metadata(
    health: ParseHealth,
    *,
    fmt: str,
    source: Source,
    size: int,
    conversations: int,
    messages: int,
    date_range: list[str],
) -> FileMetadata:
    """File metadata from a finished health report and the corpus-wide figures."""
    return FileMetadata(
        size=size,
        conversations=conversations,
        messages=messages,
        date_range=date_range,
        format=fmt,
        source=source,
        parse_health=ParseHealthSummary(
            items_parsed=health.items_parsed,
            items_skipped=health.items_skipped,
            skipped_reasons=dict(health.skipped_reasons),
            unknown_block_types=dict(health.unknown_block_types),
            hidden_messages=health.hidden_messages,
            abandoned_messages=health.abandoned_messages,
            files_read=list(health.files_read),
            files_read_omitted=health.files_read_omitted,
            shapes=dict(health.shapes),
            notes=dict(health.notes),
            members=health.members,
            duplicates_merged=health.duplicates_merged,
            duplicates_changed=health.duplicates_changed,
        ),
    )


def date_range(conversations: list[Conversation]) -> list[str]:
    """``["YYYY-MM-DD", "YYYY-MM-DD"]`` (UTC) over message times, falling back to
    conversation times; empty when nothing carries a time."""
    stamps = [m.created_at for c in conversations for m in c.messages if m.created_at]
    if not stamps:
        stamps = [t for c in conversations for t in (c.created_at, c.updated_at) if t]
    if not stamps:
        return []
    return [min(stamps).date().isoformat(), max(stamps).date().isoformat()]
