"""What an incremental analysis keeps between runs: reusable pieces of an earlier analysis.

A corpus is cut into **chunks** of consecutive conversations at content-defined
boundaries (a cut after a conversation whose digest ends in a chosen pattern, as
rsync and backup tools cut files), so a conversation added, edited or removed changes
only the chunk around it, and every other chunk keeps its digest. Per chunk the store
keeps its :class:`ShardPartial` without learned-topic rows (those depend on the
topic model, which a changed corpus refits); and per conversation the plan-independent
input of the learned topics (its own language and the counted terms of its user text).

Everything is keyed by content digests; the caller keeps the pieces under a
:func:`fingerprint` of what else decides the numbers (engine version, options, taxonomy,
redaction settings) and reuses nothing under another. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec

from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_common.corpus import Conversation
from convoscope_common.results import ENGINE_VERSION

# Changes whenever pieces written before could mean something else.
# 2: the chunks' message index in encoded blocks; 3: stored in frames; 4: frames compressed
# one by one
PIECES_VERSION = 4
# A chunk ends after a conversation whose digest is 0 modulo this (on average this many
# conversations per chunk), and after at most CHUNK_MAX conversations.
CHUNK_AVERAGE = 32
CHUNK_MAX = 4 * CHUNK_AVERAGE
# Extra cuts kept (the ends of the latest corpora analysed).
MAX_CUTS = 64

_digest_encoder = msgspec.msgpack.Encoder(order="deterministic")


class ConversationPiece(msgspec.Struct, array_like=True):
    """The learned-topic input of one conversation that no plan changes."""

    language: str  # its own language, before the corpus's fallback ("unknown": none)
    terms_language: str | None  # the language its terms were counted for
    terms: dict[str, int]  # learned.term_counts of its user text


class ChunkPiece(msgspec.Struct, kw_only=True):
    """One chunk's partial (positions from 0, no learned rows)."""

    partial: ShardPartial
    # The corpus fallback language it was analysed under when one of its conversations
    # has no language of its own (then only that fallback may reuse it), else None.
    fallback: str | None = None


class EnginePieces(msgspec.Struct, kw_only=True):
    """The engine's reusable pieces of one analysis."""

    chunks: dict[str, ChunkPiece] = {}
    conversations: dict[str, ConversationPiece] = {}
    # Digests after which a chunk also ends: the last conversation of each earlier corpus,
    # so conversations appended by a newer export start a chunk of their own.
    cuts: list[str] = []


def conversation_digest(conversation: Conversation) -> str:
    """A digest of everything the analysis reads from a conversation (id included)."""
    return hashlib.sha256(_digest_encoder.encode(conversation)).hexdigest()


def redacted_digest(raw_digest: str, conversation_id: str, texts: Sequence[tuple[int, str]]) -> str:
    """A content key of a conversation as the engine reads it after an in-place
    redaction, without encoding it again: the digest of its raw content
    (:func:`conversation_digest`, or ingest's digest of its stored bytes), its id (a
    merge may rename it), and each text the redaction visited with its place in the
    walk (the rest of the conversation is the raw content). Equal keys, equal
    conversations."""
    digest = hashlib.sha256(raw_digest.encode())
    digest.update(b"\0" + conversation_id.encode("utf-8", "surrogatepass"))
    for position, text in texts:
        digest.update(b"\0%d\0" % position)
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(b"%d\0" % len(encoded))
        digest.update(encoded)
    return digest.hexdigest()


def chunk_bounds(digests: list[str], cuts: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Consecutive (start, end) chunks over conversations with these digests, cut after
    each digest that is 0 modulo :data:`CHUNK_AVERAGE` or in ``cuts`` (and at
    :data:`CHUNK_MAX`)."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, digest in enumerate(digests):
        if int(digest[:8], 16) % CHUNK_AVERAGE == 0 or digest in cuts or i + 1 - start >= CHUNK_MAX:
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(digests):
        bounds.append((start, len(digests)))
    return bounds


def chunk_digest(digests: list[str]) -> str:
    """The key of a chunk: its conversations' digests in order."""
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def fingerprint(options: EngineOptions, extra: object = None) -> str:
    """A digest of what decides a piece besides its content: engine version, the options
    a shard reads, the taxonomy, and ``extra`` (the caller's redaction settings)."""
    material = _digest_encoder.encode(
        {
            "engine": ENGINE_VERSION,
            "pieces": PIECES_VERSION,
            "quality": options.enable_quality,
            "temporal": options.enable_temporal,
            "timezone": options.timezone,
            "taxonomy": options.taxonomy,
            "extra": extra,
        }
    )
    return hashlib.sha256(material).hexdigest()
