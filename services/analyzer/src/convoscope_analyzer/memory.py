"""Keep a job's memory low: give freed heap memory back to the operating system between
its stages, and encode the results while letting go of them.

A large job frees tens of megabytes at a time (a decoded range once re-encoded, the
plan's sample, the shards' partials once merged). glibc keeps freed memory in its heap
for reuse, so the process's resident size would stay at its high-water mark and the next
stage would stack its own peak on top of it; ``malloc_trim`` returns the free pages.
Measured in-process on a 94 MB export's sharded analysis: peak 299 -> 267 MB.
Elsewhere than glibc (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
from collections.abc import Callable, Iterator

import msgspec

from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.msgpack_headers import array_header, map_header
from convoscope_common.results import AnalysisResults

_trim: Callable[[int], int] | None = None
_mallopt: Callable[[int, int], int] | None = None
_madvise: Callable[[int, int, int], int] | None = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _trim = _libc.malloc_trim
    _mallopt = _libc.mallopt
except (OSError, AttributeError):  # not glibc
    _trim = _mallopt = None
else:
    try:
        _madvise = _libc.madvise
        _madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _madvise.restype = ctypes.c_int
    except AttributeError:
        _madvise = None
_MADV_DONTNEED = 4  # Linux
PAGE = mmap.PAGESIZE


# Bytes of object chunks a write of this service keeps awaiting their acknowledgement
# at once (``Stores.write_object(..., window_bytes=)``; the library's default is 8 MiB).
# Each chunk is held, with the client's copy: a coordinator writing shard inputs or its
# results held 8-16 MB more at its peak with 8 MiB in flight. Two 1 MiB chunks write
# 30 MB in 0.24 s beside a busy thread (four: 0.21 s), far above the rate the analysis
# produces data.
WRITE_WINDOW_BYTES = 2 * 1024 * 1024

# mallopt parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# Blocks from this size up get their own mapping, returned to the system when freed.
MMAP_THRESHOLD = 128 * 1024
# One arena for every thread: the job's, its shard slot's and the event loop's workers
# all allocate under the interpreter lock anyway. With two, the fifth large job of a
# replica peaked at 205-224 MB (VmHWM, five runs), with one at 203-211 MB (three runs),
# and the analysis was no slower (docs/performance.md, "Memory between jobs").
ARENAS = 1


def tune_allocator() -> None:
    """Keep freed memory from lingering in glibc's heap (call at start, before threads).

    glibc raises its mmap threshold to the size of the largest mapped block freed (up
    to 32 MB): after the first 4 MB shard input is freed, every later buffer of a few
    megabytes (shard inputs and outputs, held partials, object chunks) comes from the
    heap and stays resident after it is freed until a trim. A fixed threshold keeps
    them mapped; one arena instead of eight per core keeps the job's threads (the
    job, its shard slot, the event loop's workers) from each holding its own free
    memory. No-op elsewhere than glibc."""
    if _mallopt is not None:
        _mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _mallopt(_M_ARENA_MAX, ARENAS)


def give_back() -> None:
    """Return the heap's free pages to the operating system (glibc; no-op elsewhere)."""
    if _trim is not None:
        _trim(0)


def release_pages(buffer: bytearray, start: int, end: int) -> int:
    """Hand the whole pages of ``buffer[start:end]`` back to the operating system
    (``madvise(MADV_DONTNEED)``): their bytes are gone (they read as zeros), so only a
    part of a buffer nothing reads again may be released. Returns the offset up to which
    pages were released (a page boundary; ``start`` when none was), where the next
    release of a buffer read in order starts. No-op elsewhere than Linux.

    Why: a stored corpus is read into one buffer (tens of megabytes) and copied out
    range by range; releasing each range once copied keeps one range, not a second
    corpus, beside the buffer (``RawCorpus.own``).
    """
    if _madvise is None or end <= start:
        return start
    anchor = ctypes.c_char.from_buffer(buffer)  # the address of a writable buffer
    base = ctypes.addressof(anchor)
    del anchor  # the buffer may be resized again
    low = -(-(base + start) // PAGE) * PAGE  # whole pages only: round inwards
    high = (base + end) // PAGE * PAGE
    if high <= low or _madvise(low, high - low, _MADV_DONTNEED) != 0:
        return start
    return high - base


def encode_results_releasing(results: AnalysisResults) -> bytearray:
    """``encode_results(results)``, byte for byte, letting go of each section of
    ``results`` once it is encoded (the field is reset to its default).

    ``encode_results`` holds the whole decoded document and its whole encoding at once
    (on a 94 MB export about 80 MB of objects beside 32 MB of msgpack); here the
    encoding grows in one buffer while the sections it took are freed, so the peak is
    near the larger of the two instead of their sum. ``results`` is emptied: the caller
    must hold no other use for it.
    """
    fields = AnalysisResults.__struct_fields__
    keys = AnalysisResults.__struct_encode_fields__
    buffer = bytearray(map_header(len(fields)))
    for name, key in zip(fields, keys, strict=True):
        _encoder.encode_into(key, buffer, -1)
        _encoder.encode_into(getattr(results, name), buffer, -1)
        setattr(results, name, getattr(_DEFAULTS, name))
    return buffer


class PieceStream:
    """A binary stream (``read``) of the bytes ``pieces`` yields, each piece asked for
    only when the reader has taken everything before it and let go of once read.
    ``size`` counts the bytes read so far (all of them once ``read`` returned ``b""``)."""

    def __init__(self, pieces: Iterator[bytes | bytearray | memoryview]) -> None:
        self._pieces = pieces
        self._buffer: bytes | bytearray | memoryview = b""
        self._offset = 0
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` more bytes (all that are left when ``n`` < 0); ``b""`` at the end."""
        out: list[bytes] = []
        wanted = n if n >= 0 else -1
        while wanted != 0:
            if self._offset >= len(self._buffer):
                piece = next(self._pieces, None)
                if piece is None:
                    self._buffer = b""
                    break
                self._buffer, self._offset = piece, 0
                continue
            end = len(self._buffer) if wanted < 0 else self._offset + wanted
            part = bytes(memoryview(self._buffer)[self._offset : end])
            self._offset += len(part)
            if wanted > 0:
                wanted -= len(part)
            out.append(part)
        data = b"".join(out)
        self.size += len(data)
        return data


class ResultsStream(PieceStream):
    """``encode_results(results)`` as a binary stream (``read``), each section encoded
    only when the reader has taken everything before it, and let go of once encoded.

    Storing the results from it never holds their whole encoding (32 MB on a 94 MB
    export), nor a whole section's: a section that is a struct is written field by
    field and a long list (the message index, the sentiment of every message, the
    quality of every conversation) :data:`LIST_BATCH` items at a time
    (:func:`_pieces`), so the buffer holds one batch. The bytes are those
    :func:`encode_results_releasing` returns. ``results`` is emptied as it is read: the
    caller must hold no other use for it. ``size`` counts the bytes read so far (all
    of them once ``read`` returned ``b""``). With ``message_index`` (the index a service
    keeps encoded, ``results.message_index`` then empty) that field is written from its
    blocks: the bytes are those of the results with the index decoded into them.
    """

    def __init__(self, results: AnalysisResults, message_index: JoinedIndex | None = None) -> None:
        super().__init__(_sections(results, message_index))


def _sections(
    results: AnalysisResults, message_index: JoinedIndex | None = None
) -> Iterator[bytes | bytearray | memoryview]:
    """The pieces of ``encode_results(results)``, each section taken out of ``results``
    (reset to its default) when it is reached and let go of once encoded; with
    ``message_index``, that field is its joined blocks (engine/encoded_index.py)."""
    fields = AnalysisResults.__struct_fields__
    keys = AnalysisResults.__struct_encode_fields__
    yield map_header(len(fields))
    for name, key in zip(fields, keys, strict=True):
        value = getattr(results, name)
        setattr(results, name, getattr(_DEFAULTS, name))
        yield _encoder.encode(key)
        if name == "message_index" and message_index is not None:
            yield from message_index.pieces()
        else:
            yield from encode_in_pieces(value, depth=2)
        del value
        give_back()  # the section's freed heap pages, before the next one is encoded


def encode_in_pieces(value: object, depth: int) -> Iterator[bytes | bytearray]:
    """``encode(value)`` in pieces, byte for byte: a long list as its header then
    :data:`LIST_BATCH` items at a time, a dict as its header then about
    :data:`DICT_PIECE` bytes of keys and values at a time; a struct
    that msgspec writes as a plain map (no array form, no tag, every field written) as
    its header then each field, down to ``depth`` levels; anything else whole.
    Consecutive small pieces are merged, so a struct of many small fields does not
    become many tiny reads."""
    pending = bytearray()
    for piece in _split(value, depth):
        if len(piece) < _MERGE_UNDER:
            pending += piece
            if len(pending) < _MERGE_UNDER:
                continue
            piece = pending
        elif pending:
            yield pending
        pending = bytearray()
        yield piece
    if pending:
        yield pending


def _split(value: object, depth: int) -> Iterator[bytes | bytearray]:
    if isinstance(value, list) and len(value) > LIST_BATCH:
        yield array_header(len(value))
        for batch, start in enumerate(range(0, len(value), LIST_BATCH), 1):
            buffer = bytearray()
            for item in value[start : start + LIST_BATCH]:
                _encoder.encode_into(item, buffer, -1)
            yield buffer
            del buffer
            if batch % TRIM_EVERY == 0:
                # The batches' buffers were freed between blocks still in use: without
                # handing their pages back, the write of the benchmark export's results
                # grew the coordinator by 31 MB above its size after the merge. Each
                # trim walks the fragmented heap: on the benchmark export (2026-12-02)
                # a trim after every batch took the write to 1.0-1.3 s (peak 181-182
                # MB), every 4th 0.9-1.05 s (181-184 MB), every 8th 0.6-0.8 s (but 189
                # MB, 2.0x the file, with one analyzer), none 0.5 s (186 MB).
                give_back()
        return
    if depth > 0 and isinstance(value, dict) and value:
        # Entries of any size: batched by bytes, as a long list is by items.
        yield map_header(len(value))
        buffer = bytearray()
        for key, item in value.items():
            _encoder.encode_into(key, buffer, -1)
            _encoder.encode_into(item, buffer, -1)
            if len(buffer) >= DICT_PIECE:
                yield buffer
                buffer = bytearray()
        if buffer:
            yield buffer
        return
    if depth > 0 and isinstance(value, msgspec.Struct) and _plain_map(type(value)):
        cls = type(value)
        yield map_header(len(cls.__struct_fields__))
        for name, key in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
            yield _encoder.encode(key)
            yield from _split(getattr(value, name), depth - 1)
        return
    yield _encoder.encode(value)


def _plain_map(cls: type[msgspec.Struct]) -> bool:
    """Whether msgspec writes instances of ``cls`` as a map of every field, in order."""
    config = cls.__struct_config__
    return not (config.array_like or config.omit_defaults or config.tag is not None)


# Items of a long list encoded at once by ResultsStream (about 600 kB of the 94 MB
# export's quality rows): with 4,096 the results write still rose 5-10 MB above the
# merge's peak, with 1,024 it stays under it.
LIST_BATCH = 1024
# Bytes of a dict's entries encoded at once (``encode_in_pieces``).
DICT_PIECE = 1024 * 1024
# Batches written between two trims of the heap (give_back).
TRIM_EVERY = 4
# Pieces smaller than this are joined with the next ones: the reads are then cut from
# buffers above the mmap threshold, each mapped on its own and unmapped when freed
# (tune_allocator), instead of many heap blocks freed in between live ones (measured
# on the benchmark export's results write: 31 MB of growth with 64 kB pieces).
_MERGE_UNDER = 256 * 1024
_encoder = msgspec.msgpack.Encoder()
_DEFAULTS = AnalysisResults()
