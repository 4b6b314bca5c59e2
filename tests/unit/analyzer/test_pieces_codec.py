"""A collection's pieces are stored as compressed frames and read back equal, one frame at
a time; anything else (another version, a cut stream, bytes that are not pieces, the
format before frames) reads as None: the next run then reuses nothing."""

from __future__ import annotations

import struct
import zlib

import msgspec
import pytest

from convoscope_analyzer import pieces_codec
from convoscope_analyzer.incremental_pipeline import IncrementalRun, StoredPieces
from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
from tests.unit.analyzer.test_incremental_equality import older, older_run  # noqa: F401 - fixtures

_LENGTH = struct.Struct(">I")


def _frames(stored: bytes) -> list[bytes]:
    raw, frames = zlib.decompress(stored), []
    at = 0
    while at < len(raw):
        (size,) = _LENGTH.unpack_from(raw, at)
        frames.append(raw[at + 4 : at + 4 + size])
        at += 4 + size
    return frames


def test_pieces_read_back_equal(older_run: IncrementalRun) -> None:  # noqa: F811
    pieces = older_run.pieces
    assert pieces.engine.chunks and pieces.engine.conversations and pieces.detections
    assert decode_pieces(encode_pieces(pieces)) == pieces


def test_no_frame_holds_more_than_a_chunk_or_a_batch(
    older_run: IncrementalRun,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pieces_codec, "BATCH", 16)
    pieces = older_run.pieces
    frames = _frames(encode_pieces(pieces))
    chunks, conversations = len(pieces.engine.chunks), len(pieces.engine.conversations)
    assert len(frames) >= 1 + chunks + -(-conversations // 16)
    # The largest frame is one chunk's (its key and tag aside), never the whole pieces.
    largest_chunk = max(len(msgspec.msgpack.encode(c)) for c in pieces.engine.chunks.values())
    assert max(len(f) for f in frames) <= largest_chunk + 100
    assert decode_pieces(encode_pieces(pieces)) == pieces  # batches of 16 read back too


def test_other_versions_and_broken_streams_reuse_nothing(
    older_run: IncrementalRun,  # noqa: F811
) -> None:
    stored = encode_pieces(older_run.pieces)
    assert decode_pieces(encode_pieces(StoredPieces(version=0))) is None
    assert decode_pieces(stored[: len(stored) // 2]) is None  # cut short
    assert decode_pieces(b"not pieces") is None
    assert decode_pieces(b"") is None
    # The format before frames: zlib of the whole msgpack.
    assert decode_pieces(zlib.compress(msgspec.msgpack.encode(older_run.pieces), 1)) is None
    # A second header in the stream.
    frames = _frames(stored)
    twice = b"".join(_LENGTH.pack(len(f)) + f for f in [frames[0], frames[0], *frames[1:]])
    assert decode_pieces(zlib.compress(twice)) is None


def test_read_in_small_feeds_the_frames_are_the_same(
    older_run: IncrementalRun,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Frames split across the decompressor's outputs are joined again.
    monkeypatch.setattr(pieces_codec, "_FEED", 7)
    assert decode_pieces(encode_pieces(older_run.pieces)) == older_run.pieces
