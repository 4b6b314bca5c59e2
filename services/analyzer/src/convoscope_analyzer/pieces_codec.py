"""How a collection's pieces are stored: frames compressed one by one, written and read
one at a time, and the frames of chunks reused unchanged written back as they were read.

The pieces of the bench's 6,676 conversations are 33 MB of msgpack and 87 MB of objects
once decoded. Compressed or decompressed at once, those 33 MB sat beside the objects.
Here they are a sequence of records (a 4-byte length, then one msgpack value compressed
with zlib on its own): a header (version, fingerprint, cuts) first, then one frame per
chunk, and the conversations' and detections' entries in batches. Writing and reading
hold one frame (at most a chunk's partial, about 100 kB) beside the pieces.

zlib at its fastest level: a fourth of the size (33 -> 8 MB, most of it the field names
of the message index, failure and sentiment rows), so the object read beside the job's
corpus takes a fourth of the store's time. Compressing was most of the time writing
them took (0.21 of 0.3 s on the bench); a new export of the same account reuses nearly
every chunk, so :func:`decode_pieces` keeps each chunk's compressed record
(``StoredPieces.frames``) and :func:`encode_pieces` writes a chunk that the run reused
unchanged (the same object) from it, compressing only the new ones. Pieces of another
version (known from the first frame), or bytes that are not pieces, decode to None:
reusing nothing is always correct.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import msgspec

from convoscope_analyzer.engine.encoded_index import detached
from convoscope_analyzer.engine.pieces import (
    PIECES_VERSION,
    ChunkPiece,
    ConversationPiece,
    EnginePieces,
)
from convoscope_analyzer.incremental_pipeline import StoredPieces
from convoscope_analyzer.shard_redaction import Recorded
from convoscope_common import collector

_ZLIB_LEVEL = 1
_LENGTH = struct.Struct(">I")
# Entries of the conversations and of the detections per frame.
BATCH = 1024


class _Header(msgspec.Struct, tag="h", array_like=True):
    version: int
    fingerprint: str
    cuts: list[str]


class _Chunk(msgspec.Struct, tag="c", array_like=True):
    key: str
    piece: ChunkPiece


class _Conversations(msgspec.Struct, tag="v", array_like=True):
    entries: dict[str, ConversationPiece]


class _Detections(msgspec.Struct, tag="d", array_like=True):
    entries: dict[str, list[Recorded]]


class _DetectionsRead(msgspec.Struct, tag="d", array_like=True):
    """:class:`_Detections` as read: each conversation's left encoded (a view of the
    frame's bytes) until a run looks it up."""

    entries: dict[str, msgspec.Raw]


_Frame = _Header | _Chunk | _Conversations | _DetectionsRead
_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(_Header)
_frame_decoder = msgspec.msgpack.Decoder(_Frame)


def _batches(entries: dict[str, object]) -> Iterator[dict[str, object]]:
    items = list(entries.items())
    for start in range(0, len(items), BATCH):
        yield dict(items[start : start + BATCH])


def _compressed(frame: msgspec.Struct) -> bytes:
    return zlib.compress(_encoder.encode(frame), _ZLIB_LEVEL)


def _records(pieces: StoredPieces) -> Iterator[bytes]:
    """Each frame's compressed record; a reused chunk's as it was read."""
    engine = pieces.engine
    yield _compressed(_Header(pieces.version, pieces.fingerprint, engine.cuts))
    for key, chunk in engine.chunks.items():
        as_read = pieces.frames.get(key)
        yield as_read if as_read is not None else _compressed(_Chunk(key, chunk))
    for batch in _batches(engine.conversations):  # type: ignore[arg-type]
        yield _compressed(_Conversations(batch))  # type: ignore[arg-type]
    for batch in _batches(pieces.detections):  # type: ignore[arg-type]
        yield _compressed(_Detections(batch))  # type: ignore[arg-type]


def encode_pieces(pieces: StoredPieces) -> bytes:
    """The pieces as a sequence of compressed frames, each encoded and compressed on its
    own (a chunk in ``pieces.frames`` is written from there): only the compressed output
    (8 MB on the bench) is held beside them."""
    out: list[bytes] = []
    for record in _records(pieces):
        out.append(_LENGTH.pack(len(record)))
        out.append(record)
    return b"".join(out)


def _split(data: bytes | bytearray) -> Iterator[memoryview]:
    """The compressed records of ``data``. Raises ``ValueError`` on a stream that ends
    inside one."""
    view = memoryview(data)
    at = 0
    while at < len(view):
        if len(view) - at < _LENGTH.size:
            raise ValueError("the pieces end inside a frame")
        (size,) = _LENGTH.unpack_from(view, at)
        end = at + _LENGTH.size + size
        if end > len(view):
            raise ValueError("the pieces end inside a frame")
        yield view[at + _LENGTH.size : end]
        at = end


def decode_pieces(data: bytes | bytearray) -> StoredPieces | None:
    """Pieces written by :func:`encode_pieces`, decoded frame by frame; None when
    unreadable or of another version (checked on the first frame, before the rest is
    decompressed). Each chunk's compressed record is kept in ``frames``."""
    try:
        with collector.paused():  # many small objects: no collection while decoding
            return _decoded(data)
    except (zlib.error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def _decoded(data: bytes | bytearray) -> StoredPieces | None:
    records = _split(data)
    first = next(records, None)
    if first is None:
        return None
    header = _header_decoder.decode(zlib.decompress(first))
    if header.version != PIECES_VERSION:
        return None
    engine = EnginePieces(chunks={}, conversations={}, cuts=header.cuts)
    pieces = StoredPieces(version=header.version, fingerprint=header.fingerprint, engine=engine)
    for record in records:
        frame = _frame_decoder.decode(zlib.decompress(record))
        if isinstance(frame, _Chunk):
            # Its encoded message index is a view of the frame's bytes: copied.
            frame.piece.partial.message_index = detached(frame.piece.partial.message_index)
            engine.chunks[frame.key] = frame.piece
            pieces.frames[frame.key] = bytes(record)
        elif isinstance(frame, _Conversations):
            engine.conversations.update(frame.entries)
        elif isinstance(frame, _DetectionsRead):
            pieces.detections.update(frame.entries)
        else:
            return None  # a second header: not pieces this module wrote
    return pieces
