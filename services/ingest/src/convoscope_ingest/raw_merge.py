"""Merge a collection's stored corpora without decoding their conversations (pure, no I/O).

The same merge as :func:`convoscope_ingest.merge.merge_corpora`, on the encoded corpora
ingest stored for each upload: each corpus is split into a shell whose conversations
stay :class:`msgspec.Raw` (views of the stored bytes), and of each conversation only
its identity and times are decoded (a small struct; msgspec skips the texts; the times
of its messages only for the conversations kept). Two versions of one conversation are
compared byte for byte, and only the kept conversations are hashed (a re-upload holds
every older conversation again: half of what is read is superseded). A kept
conversation's content digest is the SHA-256 of its stored bytes, which are what the digest of
:func:`~convoscope_ingest.merge.content_hash` hashes: a conversation holds no map, so
the deterministic encoder writes it exactly as the corpus encoder did. The merged corpus
is written by copying the kept conversations' bytes: byte for byte what
``encode_corpus(merge_corpora(decoded members))`` writes, with the same parse health
and the same file metadata (tests/unit/ingest/test_raw_merge.py).

A member may be a corpus this merge wrote: it stands for the exports it merged, in their
place (the first members), so a collection that grows by one export is merged from its
previous merged corpus and the new export instead of every export again. Its renamed
conversations are read under the ids their exports gave them (``Corpus.renamed_ids``);
the result is byte for byte that of merging every export.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from convoscope_common import collector
from convoscope_common.corpus import (
    CORPUS_SCHEMA_VERSION,
    Conversation,
    Source,
    corpus_shell_type,
)
from convoscope_ingest.merge import (
    COLLECTION_FORMAT,
    NoMembersError,
    merged_health,
    merged_projects,
    renamed_id,
)

_Shell = corpus_shell_type("MergeShell")
_shell_decoder = msgspec.msgpack.Decoder(_Shell)
_encoder = msgspec.msgpack.Encoder()


class _MessageTime(msgspec.Struct):
    """Of a message, only its time (the rest of it is skipped, not decoded)."""

    created_at: datetime | None = None


class _Identity(msgspec.Struct):
    """What the merge reads of every conversation (its messages are skipped)."""

    id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    source: Source = "claude"


class _Times(msgspec.Struct):
    """The times of a conversation's messages: what the file metadata reads of a kept
    conversation (and its freshness, when it has no time of its own)."""

    messages: list[_MessageTime] = []


_identity_decoder = msgspec.msgpack.Decoder(_Identity)
_times_decoder = msgspec.msgpack.Decoder(_Times)
_conversation_decoder = msgspec.msgpack.Decoder(Conversation)


@dataclass
class RawMerged:
    """A merged corpus, encoded, and what its file metadata says."""

    encoded: bytes
    corpus: msgspec.Struct  # the shell (conversations left encoded)
    conversations: int
    messages: int
    date_range: list[str]
    sources: list[str]  # the vendors of its conversations, sorted

    @property
    def format(self) -> str:
        """The merged corpus's format (``collection``)."""
        return str(self.corpus.format)  # type: ignore[attr-defined]

    @property
    def source(self) -> Source:
        """The vendor most of its conversations come from."""
        source: Source = self.corpus.source  # type: ignore[attr-defined]
        return source


@dataclass
class _Kept:
    raw: msgspec.Raw
    identity: _Identity
    order: int


def _freshness(identity: _Identity, raw: msgspec.Raw, order: int) -> tuple[float, int]:
    # As merge._freshness: updated, else created, else its last message's time.
    stamp = identity.updated_at or identity.created_at
    if stamp is None:
        times = _times_decoder.decode(raw).messages
        stamp = max((m.created_at for m in times if m.created_at), default=None)
    return (stamp.timestamp() if stamp else float("-inf"), order)


def _with_id(raw: msgspec.Raw, conversation_id: str) -> msgspec.Raw:
    """The encoded conversation under another id (decoded and encoded again: rare)."""
    conversation = _conversation_decoder.decode(raw)
    return msgspec.Raw(_encoder.encode(msgspec.structs.replace(conversation, id=conversation_id)))


def merge_encoded(members: Sequence[bytes | bytearray]) -> RawMerged:
    """The merged corpus of the stored corpora ``members`` (upload order, oldest first),
    as :func:`~convoscope_ingest.merge.merge_corpora` merges them.

    Raises :class:`NoMembersError` without members, ``msgspec.DecodeError`` /
    ``msgspec.ValidationError`` on a corpus that is not one.
    """
    if not members:
        raise NoMembersError("a collection needs at least one upload to merge")
    shells: list[Any] = []
    kept: dict[tuple[str, str], _Kept] = {}
    duplicates = changed = 0
    with collector.paused():  # many small objects, no cycles
        for order, data in enumerate(members):
            shell: Any = _shell_decoder.decode(data)
            raws: list[msgspec.Raw] = shell.conversations
            shell.conversations = []
            shells.append(shell)
            renamed: dict[str, str] = shell.renamed_ids  # a merged corpus's renames
            for raw in raws:
                identity = _identity_decoder.decode(raw)
                original = renamed.get(identity.id) if renamed else None
                if original is not None:  # back to the id (and bytes) its export gave it
                    raw = _with_id(raw, original)
                    identity.id = original
                key = (identity.source, identity.id)
                previous = kept.get(key)
                if previous is None:
                    kept[key] = _Kept(raw, identity, order)
                    continue
                duplicates += 1
                # Equal bytes, equal digests: the comparison merge_corpora makes,
                # without hashing a version that may be let go.
                if raw != previous.raw:
                    changed += 1
                if _freshness(identity, raw, order) >= _freshness(
                    previous.identity, previous.raw, previous.order
                ):
                    kept[key] = _Kept(raw, identity, order)
    conversations: list[msgspec.Raw] = []
    hashes: dict[str, str] = {}
    renamed_out: dict[str, str] = {}
    ids_seen: set[str] = set()
    sources: Counter[str] = Counter()
    messages = 0
    stamps: list[datetime] = []
    times: list[datetime] = []
    for (source, conv_id), item in kept.items():
        identity, raw = item.identity, item.raw
        conv_id_kept = conv_id
        if conv_id in ids_seen:  # another vendor's conversation has this id: prefix it
            conv_id_kept = renamed_id(source, conv_id)
            raw = _with_id(raw, conv_id_kept)
            renamed_out[conv_id_kept] = conv_id
        ids_seen.add(conv_id_kept)
        conversations.append(raw)
        hashes[conv_id_kept] = hashlib.sha256(item.raw).hexdigest()
        sources[source] += 1
        message_times = _times_decoder.decode(item.raw).messages
        messages += len(message_times)
        own = [m.created_at for m in message_times if m.created_at]
        if own:
            stamps.append(min(own))
            stamps.append(max(own))
        times.extend(t for t in (identity.created_at, identity.updated_at) if t)
    first = shells[0]
    merged = msgspec.structs.replace(
        first,
        schema_version=CORPUS_SCHEMA_VERSION,
        format=COLLECTION_FORMAT,
        source=sources.most_common(1)[0][0] if sources else first.source,
        conversations=conversations,
        health=merged_health([s.health for s in shells], duplicates, changed),
        projects=merged_projects(shells),
        content_hashes=hashes,
        renamed_ids=renamed_out,
    )
    encoded = _encoder.encode(merged)
    merged.conversations = []  # the shell keeps no view of the members' bytes
    span = stamps or times
    dates = [min(span).date().isoformat(), max(span).date().isoformat()] if span else []
    return RawMerged(
        encoded=encoded,
        corpus=merged,
        conversations=len(conversations),
        messages=messages,
        date_range=dates,
        sources=sorted(sources),
    )
