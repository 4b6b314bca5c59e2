"""A collection's pieces are stored as frames compressed one by one and read back equal,
one frame at a time; a chunk reused unchanged is written back from the record it was read
from; anything else (another version, a cut stream, bytes that are not pieces, the
formats before) reads as None: the next run then reuses nothing."""

from __future__ import annotations

import struct
import zlib

import msgspec
import pytest

from convoscope_analyzer import pieces_codec
from convoscope_analyzer.incremental_pipeline import IncrementalRun, StoredPieces, run_incremental
from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.shard_redaction import Recorded
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_ingest.merge import merge_corpora
from tests.unit.analyzer.test_incremental_equality import (  # noqa: F401 - fixtures
    _claude,
    _copy,
    older,
    older_run,
)

_LENGTH = struct.Struct(">I")


def _records(stored: bytes) -> list[bytes]:
    records, at = [], 0
    while at < len(stored):
        (size,) = _LENGTH.unpack_from(stored, at)
        records.append(stored[at + 4 : at + 4 + size])
        at += 4 + size
    return records


def _joined(records: list[bytes]) -> bytes:
    return b"".join(_LENGTH.pack(len(r)) + r for r in records)


def _without_frames(pieces: StoredPieces) -> StoredPieces:
    return msgspec.structs.replace(pieces, frames={})


def test_pieces_read_back_equal(older_run: IncrementalRun) -> None:  # noqa: F811
    pieces = _without_frames(older_run.pieces)
    assert pieces.engine.chunks and pieces.engine.conversations and pieces.detections
    decoded = decode_pieces(encode_pieces(pieces))
    assert decoded is not None
    assert _without_frames(decoded) == pieces
    # Every chunk's record is kept for the next write.
    assert set(decoded.frames) == set(pieces.engine.chunks)


def test_no_frame_holds_more_than_a_chunk_or_a_batch(
    older_run: IncrementalRun,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pieces_codec, "BATCH", 16)
    pieces = _without_frames(older_run.pieces)
    frames = [zlib.decompress(r) for r in _records(encode_pieces(pieces))]
    chunks, conversations = len(pieces.engine.chunks), len(pieces.engine.conversations)
    assert len(frames) >= 1 + chunks + -(-conversations // 16)
    # The largest frame is one chunk's (its key and tag aside), never the whole pieces.
    largest_chunk = max(len(msgspec.msgpack.encode(c)) for c in pieces.engine.chunks.values())
    assert max(len(f) for f in frames) <= largest_chunk + 100
    decoded = decode_pieces(encode_pieces(pieces))  # batches of 16 read back too
    assert decoded is not None and _without_frames(decoded) == pieces


def test_other_versions_and_broken_streams_reuse_nothing(
    older_run: IncrementalRun,  # noqa: F811
) -> None:
    pieces = _without_frames(older_run.pieces)
    stored = encode_pieces(pieces)
    assert decode_pieces(encode_pieces(StoredPieces(version=0))) is None
    assert decode_pieces(stored[: len(stored) // 2]) is None  # cut short
    assert decode_pieces(stored[:2]) is None  # cut inside the first length
    assert decode_pieces(b"not pieces") is None
    assert decode_pieces(b"") is None
    # The formats before: zlib of the whole msgpack (1), one zlib stream of frames (3).
    assert decode_pieces(zlib.compress(msgspec.msgpack.encode(pieces), 1)) is None
    frames = [zlib.decompress(r) for r in _records(stored)]
    assert decode_pieces(zlib.compress(_joined(frames), 1)) is None
    # A second header in the stream.
    records = _records(stored)
    assert decode_pieces(_joined([records[0], records[0], *records[1:]])) is None


def test_chunks_reused_unchanged_are_written_back_as_they_were_read(
    older: Corpus,  # noqa: F811
    older_run: IncrementalRun,  # noqa: F811
) -> None:
    newer = merge_corpora([older, _claude(160)])  # the same account, 10 conversations later
    run = run_incremental(
        _copy(newer), AnalysisOptions(), PrivacyConfig(), older_run.pieces, in_place=True
    )
    reused = run.pieces.frames
    assert run.stats.chunks_reused and len(reused) == run.stats.chunks_reused
    assert set(reused) < set(run.pieces.engine.chunks)  # the new chunks are not among them
    for key in reused:
        assert reused[key] == older_run.pieces.frames[key]
    # Written from the kept records or compressed afresh: the same bytes.
    assert encode_pieces(run.pieces) == encode_pieces(_without_frames(run.pieces))


def test_detections_stay_encoded_until_a_run_looks_them_up(older: Corpus) -> None:  # noqa: F811
    first = run_incremental(_copy(older), AnalysisOptions(), PrivacyConfig(), None, in_place=True)
    stored = decode_pieces(encode_pieces(first.pieces))
    assert stored is not None and stored.detections
    assert all(isinstance(v, msgspec.Raw) for v in stored.detections.values())
    as_lists = {
        k: msgspec.msgpack.decode(v, type=list[Recorded])  # type: ignore[arg-type]
        for k, v in stored.detections.items()
    }
    assert as_lists == first.pieces.detections
    # A run that reuses them reads each once and keeps them as they were read.
    again = run_incremental(_copy(older), AnalysisOptions(), PrivacyConfig(), stored, in_place=True)
    assert again.texts_scanned == 0
    assert again.pieces.detections == stored.detections
    assert again.output.results.privacy == first.output.results.privacy
