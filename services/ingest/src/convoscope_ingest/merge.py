"""Merge the corpora of several uploads into one corpus: a collection's (pure, no I/O).

A conversation is identified by its vendor (``source``) and its id. Met in several
exports, it is counted once and its newest version wins: the latest ``updated_at``
(falling back to ``created_at``, then to its last message's time), and on a tie the
later upload. Each kept conversation carries a content digest (``Corpus.content_hashes``)
so an incremental analysis can tell unchanged conversations from new or edited ones.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from convoscope_common.corpus import Conversation, Corpus, ParseHealth, Project, Source
from convoscope_ingest.health import MAX_FILES_LISTED, MAX_SKIPPED_DETAILS

COLLECTION_FORMAT = "collection"

_hash_encoder = msgspec.msgpack.Encoder(order="deterministic")


class NoMembersError(ValueError):
    """A merge needs at least one corpus."""


def conversation_key(conversation: Conversation) -> tuple[str, str]:
    """The identity of a conversation across exports: (vendor, conversation id)."""
    return (conversation.source, conversation.id)


def content_hash(conversation: Conversation) -> str:
    """A digest of everything the analysis reads from a conversation (its active branch,
    title, times, model, branch counts): equal digests mean equal analysis input."""
    return hashlib.sha256(_hash_encoder.encode(conversation)).hexdigest()


def _freshness(conversation: Conversation, order: int) -> tuple[float, int]:
    stamp: datetime | None = conversation.updated_at or conversation.created_at
    if stamp is None:
        stamp = max((m.created_at for m in conversation.messages if m.created_at), default=None)
    return (stamp.timestamp() if stamp else float("-inf"), order)


def merge_corpora(members: Sequence[Corpus]) -> Corpus:
    """One corpus from ``members`` (given in upload order, oldest first).

    Conversations keep the order in which they were first met; a duplicate takes the
    place of its first copy. The parse health sums the members' and counts the
    duplicates merged (``duplicates_changed``: those whose versions differed).
    Two vendors using the same conversation id keep both, the later one's id prefixed
    with its vendor (``chatgpt:<id>``) so drill-downs stay unambiguous.
    """
    if not members:
        raise NoMembersError("a collection needs at least one upload to merge")
    kept: dict[tuple[str, str], tuple[Conversation, int, str]] = {}
    duplicates = changed = 0
    for order, corpus in enumerate(members):
        for conversation in corpus.conversations:
            key = conversation_key(conversation)
            digest = content_hash(conversation)
            previous = kept.get(key)
            if previous is None:
                kept[key] = (conversation, order, digest)
                continue
            duplicates += 1
            old, old_order, old_digest = previous
            if old_digest != digest:
                changed += 1
            if _freshness(conversation, order) >= _freshness(old, old_order):
                kept[key] = (conversation, order, digest)
    conversations: list[Conversation] = []
    hashes: dict[str, str] = {}
    renamed: dict[str, str] = {}
    ids_seen: set[str] = set()
    for (source, conv_id), (conversation, _order, digest) in kept.items():
        if conv_id in ids_seen:
            conversation = msgspec.structs.replace(conversation, id=renamed_id(source, conv_id))
            renamed[conversation.id] = conv_id
        ids_seen.add(conversation.id)
        conversations.append(conversation)
        hashes[conversation.id] = digest
    return Corpus(
        format=COLLECTION_FORMAT,
        source=_main_source(conversations, members),
        conversations=conversations,
        health=merged_health([m.health for m in members], duplicates, changed),
        projects=merged_projects(members),
        content_hashes=hashes,
        renamed_ids=renamed,
    )


def renamed_id(source: str, conversation_id: str) -> str:
    """The id a merge gives a conversation whose id another vendor's conversation has."""
    return f"{source}:{conversation_id}"


def _main_source(conversations: list[Conversation], members: Sequence[Corpus]) -> Source:
    counts = Counter(c.source for c in conversations)
    if not counts:
        return members[0].source
    return counts.most_common(1)[0][0]


def merged_projects(members: Sequence[Any]) -> list[Project]:
    """The members' projects by id, the later upload's copy winning (it describes the
    project more recently). ``members``: corpora or corpus shells."""
    by_id: dict[str, Project] = {}
    for corpus in members:
        for project in corpus.projects:
            by_id[project.id] = project
    return list(by_id.values())


def merged_health(healths: list[ParseHealth], duplicates: int, changed: int) -> ParseHealth:
    """The members' parse health summed, with the duplicates merged and changed (a member
    that is itself a merged corpus counts its exports and duplicates in)."""
    merged = ParseHealth(
        members=sum(h.members or 1 for h in healths),
        duplicates_merged=duplicates + sum(h.duplicates_merged for h in healths),
    )
    merged.duplicates_changed = changed + sum(h.duplicates_changed for h in healths)
    sums: dict[str, Counter[str]] = {
        name: Counter() for name in ("skipped_reasons", "unknown_block_types", "shapes", "notes")
    }
    for health in healths:
        merged.items_parsed += health.items_parsed
        merged.items_skipped += health.items_skipped
        merged.hidden_messages += health.hidden_messages
        merged.abandoned_messages += health.abandoned_messages
        merged.skipped_omitted += health.skipped_omitted
        merged.files_read_omitted += health.files_read_omitted
        for name, counter in sums.items():
            counter.update(getattr(health, name))
        for item in health.skipped:
            if len(merged.skipped) < MAX_SKIPPED_DETAILS:
                merged.skipped.append(item)
            else:
                merged.skipped_omitted += 1
        for name in health.files_read:
            if len(merged.files_read) < MAX_FILES_LISTED:
                merged.files_read.append(name)
            else:
                merged.files_read_omitted += 1
    merged.skipped_reasons = dict(sums["skipped_reasons"])
    merged.unknown_block_types = dict(sums["unknown_block_types"])
    merged.shapes = dict(sums["shapes"])
    merged.notes = dict(sums["notes"])
    return merged
