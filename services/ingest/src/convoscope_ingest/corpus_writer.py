"""Build the stored corpus one conversation at a time, byte for byte what
:func:`convoscope_common.corpus.encode_corpus` writes for the same corpus.

msgpack is context-free: a struct inside a list encodes exactly as it does alone. So
each conversation is encoded as soon as it is normalised (its Python objects are freed
at once) and kept as bytes; at the end the corpus header is encoded with one marker
conversation in place of the list, and the marker is replaced by the list header and
the kept encodings. Deduplication, turn-order notes, counts and the date range follow
:mod:`convoscope_ingest.parsing` exactly, from small per-conversation summaries.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import IO, cast

import msgspec

from convoscope_common.corpus import Conversation, Corpus, Project, Source
from convoscope_common.wire import FileMetadata
from convoscope_ingest.errors import NoConversationsError
from convoscope_ingest.health import (
    NOTE_NOT_ALTERNATING,
    NOTE_STARTS_WITH_ASSISTANT,
    HealthRecorder,
)

_encoder = msgspec.msgpack.Encoder()
_MARKER = Conversation(id="\x00convoscope-stream-marker\x00")
_MARKER_BYTES = _encoder.encode(_MARKER)


def array_header(count: int) -> bytes:
    """The msgpack array header msgspec writes for ``count`` items (smallest form)."""
    if count < 16:
        return bytes((0x90 | count,))
    if count < 1 << 16:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


@dataclass
class _Kept:
    """One conversation: its encoding and what the corpus-wide figures need of it."""

    encoded: bytes
    freshness: tuple[float, int]
    messages: int
    hidden: int
    abandoned: int
    starts_with_assistant: bool
    not_alternating: bool
    first_message: datetime | None
    last_message: datetime | None
    first_time: datetime | None
    last_time: datetime | None


def _summary(conversation: Conversation) -> _Kept:
    roles = [m.role for m in conversation.messages]
    stamps = [m.created_at for m in conversation.messages if m.created_at]
    times = [t for t in (conversation.created_at, conversation.updated_at) if t]
    updated = conversation.updated_at or conversation.created_at
    return _Kept(
        encoded=_encoder.encode(conversation),
        freshness=(
            updated.timestamp() if updated else float("-inf"),
            len(conversation.messages),
        ),
        messages=len(conversation.messages),
        hidden=conversation.hidden_messages,
        abandoned=conversation.abandoned_messages,
        starts_with_assistant=bool(roles) and roles[0] == "assistant",
        not_alternating=any(a == b for a, b in pairwise(roles)),
        first_message=min(stamps) if stamps else None,
        last_message=max(stamps) if stamps else None,
        first_time=min(times) if times else None,
        last_time=max(times) if times else None,
    )


@dataclass
class StreamedCorpus:
    """The stored corpus as parts (write them in order) and the file metadata."""

    parts: list[bytes]
    metadata: FileMetadata

    @property
    def size(self) -> int:
        """Length of the stored corpus in bytes."""
        return sum(len(part) for part in self.parts)

    def reader(self) -> IO[bytes]:
        """The stored corpus as a binary file (for an object-store write)."""
        return cast(IO[bytes], _PartsReader(self.parts))

    def to_bytes(self) -> bytes:
        """The stored corpus in one piece (tests, small corpora)."""
        return b"".join(self.parts)


@dataclass
class CorpusWriter:
    """Collects normalised conversations in order, one id kept once (the freshest)."""

    _kept: list[_Kept] = field(default_factory=list)
    _by_id: dict[str, int] = field(default_factory=dict)
    _duplicates: list[str] = field(default_factory=list)

    def add(self, conversation: Conversation) -> None:
        """Encode ``conversation`` and keep it, unless a fresher copy of its id is kept."""
        kept = _summary(conversation)
        slot = self._by_id.get(conversation.id)
        if slot is None:
            self._by_id[conversation.id] = len(self._kept)
            self._kept.append(kept)
            return
        # Recorded now, counted at the end: parsing.py counts duplicates after every
        # item's own skips, and the capped detail list must keep that order.
        self._duplicates.append(f"conversation {conversation.id}")
        if kept.freshness > self._kept[slot].freshness:
            self._kept[slot] = kept

    def finish(
        self,
        source: Source,
        fmt: str,
        projects: list[Project],
        health: HealthRecorder,
        size: int,
    ) -> StreamedCorpus:
        """The corpus parts and metadata; :class:`NoConversationsError` when none is kept."""
        # Imported here: parsing imports this module for the streaming path.
        from convoscope_ingest.parsing import file_metadata

        for label in self._duplicates:
            health.skip(label, "duplicate conversation")
        kept = self._kept
        if not kept:
            raise NoConversationsError(
                "the export contains no readable conversations"
                if health.skipped_reasons
                else "the export contains no conversations"
            )
        messages = sum(k.messages for k in kept)
        health.note(NOTE_STARTS_WITH_ASSISTANT, sum(k.starts_with_assistant for k in kept))
        health.note(NOTE_NOT_ALTERNATING, sum(k.not_alternating for k in kept))
        health.parsed(len(kept) + messages)
        health.hidden_messages = sum(k.hidden for k in kept)
        health.abandoned_messages = sum(k.abandoned for k in kept)
        report = health.report()
        shell = _encoder.encode(
            Corpus(
                format=fmt, source=source, conversations=[_MARKER], health=report, projects=projects
            )
        )
        at = shell.find(_MARKER_BYTES)
        if at < 1 or shell[at - 1] != 0x91:  # pragma: no cover - a msgspec layout change
            raise RuntimeError("unexpected corpus layout")
        parts = [shell[: at - 1] + array_header(len(kept))]
        parts.extend(k.encoded for k in kept)
        parts.append(shell[at + len(_MARKER_BYTES) :])
        metadata = file_metadata(
            report,
            fmt=fmt,
            source=source,
            size=size,
            conversations=len(kept),
            messages=messages,
            date_range=_date_range(kept),
        )
        self._kept = []
        self._by_id = {}
        return StreamedCorpus(parts=parts, metadata=metadata)


def _date_range(kept: list[_Kept]) -> list[str]:
    """As ``parsing.date_range``: message times, else conversation times, else nothing."""
    firsts = [k.first_message for k in kept if k.first_message]
    lasts = [k.last_message for k in kept if k.last_message]
    if not firsts:
        firsts = [k.first_time for k in kept if k.first_time]
        lasts = [k.last_time for k in kept if k.last_time]
    if not firsts:
        return []
    return [min(firsts).date().isoformat(), max(lasts).date().isoformat()]


class _PartsReader(io.RawIOBase):
    """Reads a list of byte strings as one stream, without joining them."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts: Iterator[bytes] = iter(parts)
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = [bytes(self._current), *self._parts]
            self._current = memoryview(b"")
            return b"".join(rest)
        out = bytearray()
        while len(out) < size:
            if not self._current:
                nxt = next(self._parts, None)
                if nxt is None:
                    break
                self._current = memoryview(nxt)
            take = self._current[: size - len(out)]
            out += take
            self._current = self._current[len(take) :]
        return bytes(out)
