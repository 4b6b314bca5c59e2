"""How a collection's pieces are stored: compressed frames, written and read one at a time.

The pieces of the bench's 6,676 conversations are 33 MB of msgpack and 87 MB of objects
once decoded. Compressed or decompressed at once, those 33 MB sat beside the objects.
Here they are a zlib stream of frames (a 4-byte length, then one msgpack value): a
header (version, fingerprint, cuts) first, then one frame per chunk, and the
conversations' and detections' entries in batches. Writing and reading hold one frame
(at most a chunk's partial, about 100 kB) beside the pieces: in-process, decoding them
peaked at 96 MB instead of 130 and took 0.21 s instead of 0.44.

zlib at its fastest level: a fourth of the size (33 -> 8 MB, most of it the field
names of the message index, failure and sentiment rows), so the object read beside the
job's corpus takes a fourth of the store's time. Pieces of another version (known from
the first frame, before the rest is decompressed), or bytes that are not pieces,
decode to None: reusing nothing is always correct.
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
# Compressed bytes fed to the decompressor at once.
_FEED = 256 * 1024


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


_Frame = _Header | _Chunk | _Conversations | _Detections
_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(_Header)
_frame_decoder = msgspec.msgpack.Decoder(_Frame)


def _batches(entries: dict[str, object]) -> Iterator[dict[str, object]]:
    items = list(entries.items())
    for start in range(0, len(items), BATCH):
        yield dict(items[start : start + BATCH])


def _frames(pieces: StoredPieces) -> Iterator[msgspec.Struct]:
    engine = pieces.engine
    yield _Header(pieces.version, pieces.fingerprint, engine.cuts)
    for key, chunk in engine.chunks.items():
        yield _Chunk(key, chunk)
    for batch in _batches(engine.conversations):  # type: ignore[arg-type]
        yield _Conversations(batch)  # type: ignore[arg-type]
    for batch in _batches(pieces.detections):  # type: ignore[arg-type]
        yield _Detections(batch)  # type: ignore[arg-type]


def encode_pieces(pieces: StoredPieces) -> bytes:
    """The pieces as a compressed stream of frames, encoded and compressed one frame at
    a time: only the compressed output (8 MB on the bench) is held beside them."""
    compressor = zlib.compressobj(_ZLIB_LEVEL)
    out: list[bytes] = []
    for frame in _frames(pieces):
        payload = _encoder.encode(frame)
        out.append(compressor.compress(_LENGTH.pack(len(payload))))
        out.append(compressor.compress(payload))
    out.append(compressor.flush())
    return b"".join(out)


def _payloads(data: bytes | bytearray) -> Iterator[bytes]:
    """The frames' payloads of ``data``, decompressed a little at a time. Raises
    ``ValueError`` on a stream that ends inside a frame, ``zlib.error`` on one that is
    not zlib."""
    decompressor = zlib.decompressobj()
    view = memoryview(data)
    buffer = bytearray()
    at = 0  # where the next frame starts in ``buffer``
    for start in range(0, len(view), _FEED):
        buffer += decompressor.decompress(view[start : start + _FEED])
        while len(buffer) - at >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer, at)
            end = at + _LENGTH.size + size
            if end > len(buffer):
                break
            yield bytes(buffer[at + _LENGTH.size : end])  # a copy: the buffer moves on
            at = end
        del buffer[:at]  # what was read goes; the rest of a frame stays
        at = 0
    buffer += decompressor.flush()
    if not decompressor.eof or len(buffer) != at:
        raise ValueError("the pieces end inside a frame")


def decode_pieces(data: bytes | bytearray) -> StoredPieces | None:
    """Pieces written by :func:`encode_pieces`, decoded frame by frame; None when
    unreadable or of another version (checked on the first frame, before the rest is
    decompressed)."""
    try:
        with collector.paused():  # many small objects: no collection while decoding
            return _decoded(data)
    except (zlib.error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def _decoded(data: bytes | bytearray) -> StoredPieces | None:
    frames = _payloads(data)
    header = _header_decoder.decode(next(frames, b""))
    if header.version != PIECES_VERSION:
        return None
    engine = EnginePieces(chunks={}, conversations={}, cuts=header.cuts)
    pieces = StoredPieces(version=header.version, fingerprint=header.fingerprint, engine=engine)
    for payload in frames:
        frame = _frame_decoder.decode(payload)
        if isinstance(frame, _Chunk):
            # Its encoded message index is a view of the frame's bytes: copied.
            frame.piece.partial.message_index = detached(frame.piece.partial.message_index)
            engine.chunks[frame.key] = frame.piece
        elif isinstance(frame, _Conversations):
            engine.conversations.update(frame.entries)
        elif isinstance(frame, _Detections):
            pieces.detections.update(frame.entries)
        else:
            return None  # a second header: not pieces this module wrote
    return pieces
