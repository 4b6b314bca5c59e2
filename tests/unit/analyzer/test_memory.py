"""The results encoded section by section are the bytes ``encode_results`` writes."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import msgspec
import pytest

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.memory import (
    DICT_PIECE,
    PAGE,
    encode_in_pieces,
    encode_results_releasing,
    release_pages,
)
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.corpus import encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults, decode_results, encode_results
from convoscope_ingest.parsing import parse_export

DATA = Path(__file__).resolve().parents[2] / "data"


def _analysed() -> AnalysisResults:
    data = (DATA / "claude_sample.json").read_bytes()
    corpus = load_corpus(encode_corpus(parse_export(data).corpus))
    return run_pipeline(corpus, AnalysisOptions(), PrivacyConfig()).results


def test_same_bytes_and_sections_released() -> None:
    results = _analysed()
    assert results.message_index and results.summary.messages
    expected = encode_results(results)
    kept = copy.deepcopy(results)
    got = encode_results_releasing(results)
    assert bytes(got) == expected
    assert decode_results(got) == kept
    # Every section was let go of once encoded.
    assert results.message_index == [] and results.summary.messages == 0


def test_defaults_only() -> None:
    assert bytes(encode_results_releasing(AnalysisResults())) == encode_results(AnalysisResults())


def test_stream_reads_the_same_bytes_section_by_section(monkeypatch: pytest.MonkeyPatch) -> None:
    from convoscope_analyzer import memory
    from convoscope_analyzer.memory import ResultsStream

    # Long lists are encoded a few items at a time (the message index): here two.
    assert len(_analysed().message_index) > 2

    results = _analysed()
    expected = encode_results(results)
    for size in (1, 7, 128 * 1024, -1):
        monkeypatch.setattr(memory, "LIST_BATCH", 2)
        copy_ = copy.deepcopy(results)
        stream = ResultsStream(copy_)
        pieces = []
        while piece := stream.read(size):
            assert size < 0 or len(piece) <= size
            pieces.append(piece)
            if len(pieces) == 1 and size == 1:
                # Nothing beyond the first section was encoded yet: the rest is intact.
                assert copy_.message_index == results.message_index
        assert b"".join(pieces) == expected
        assert stream.size == len(expected)
        assert stream.read(10) == b""
        assert copy_.message_index == [] and copy_.summary.messages == 0
    assert ResultsStream(AnalysisResults()).read() == encode_results(AnalysisResults())


def test_allocator_tuning_keeps_freed_buffers_out_of_the_heap() -> None:
    """After tune_allocator, a freed multi-megabyte buffer leaves the resident memory at
    once (mapped on its own), even after a larger one was freed (which otherwise raises
    glibc's threshold: the same code without the tuning keeps about 40 MB resident)."""
    import subprocess
    import sys

    code = (
        "from convoscope_analyzer.memory import tune_allocator\n"
        "tune_allocator()\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1])\n"
        "big = bytearray(20_000_000); del big\n"
        "before = rss()\n"
        "blocks = [bytearray(4_000_000) for _ in range(10)]\n"
        # Kept: a heap block above the freed ones would keep them from being trimmed.
        "keep = bytearray(300_000)\n"
        "during = rss()\n"
        "del blocks\n"
        "after = rss()\n"
        "print(during - before > 8000, after - before < 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_stream_splits_struct_sections_and_their_long_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A section that is a struct is written field by field, a long list inside it a
    batch at a time: no piece holds a whole section, and the bytes stay the same."""
    from convoscope_analyzer import memory
    from convoscope_analyzer.memory import ResultsStream

    results = _analysed()
    assert results.sentiment is not None and len(results.sentiment.by_message) > 1
    expected = encode_results(results)
    monkeypatch.setattr(memory, "LIST_BATCH", 1)
    monkeypatch.setattr(memory, "_MERGE_UNDER", 1)  # every piece on its own
    pieces = list(memory._sections(copy.deepcopy(results)))
    assert b"".join(pieces) == expected
    sentiment = msgspec.msgpack.encode(results.sentiment)
    parts = list(memory.encode_in_pieces(results.sentiment, depth=2))
    assert b"".join(parts) == sentiment
    assert len(parts) > 20 and max(len(p) for p in parts) < len(sentiment) / 4
    stream = ResultsStream(copy.deepcopy(results))
    assert b"".join(iter(lambda: stream.read(1000), b"")) == expected


def test_stream_writes_an_index_kept_encoded_where_the_list_goes() -> None:
    """The service stores the results with their message index still encoded (joined
    from the shards' blocks): the same bytes as the whole results encoded."""
    from convoscope_analyzer.memory import ResultsStream

    data = (DATA / "claude_sample.json").read_bytes()
    encoded = encode_corpus(parse_export(data).corpus)
    whole = run_pipeline(load_corpus(encoded), AnalysisOptions(), PrivacyConfig())
    options, privacy = AnalysisOptions(), PrivacyConfig()
    kept = run_pipeline(load_corpus(encoded), options, privacy, encoded_index=True)
    assert kept.results.message_index == [] and kept.message_index is not None
    assert kept.message_index.count == len(whole.results.message_index) > 2
    kept.results.generated_at = whole.results.generated_at
    expected = encode_results(whole.results)
    for size in (1, 999, -1):
        stream = ResultsStream(copy.deepcopy(kept.results), kept.message_index)
        pieces = []
        while piece := stream.read(size):
            pieces.append(piece)
        assert b"".join(pieces) == expected
    assert kept.message_index.records() == whole.results.message_index


@pytest.mark.skipif(sys.platform != "linux", reason="madvise(MADV_DONTNEED) is Linux's")
@pytest.mark.parametrize(("start", "end"), [(0, 4 << 20), (100, 3_000_000), (5000, 9000), (7, 8)])
def test_released_pages_are_whole_pages_inside_the_range(start: int, end: int) -> None:
    buffer = bytearray(b"x" * (4 << 20))
    reached = release_pages(buffer, start, end)
    view = memoryview(buffer)
    zero = [i for i in range(0, len(buffer), PAGE // 2) if view[i] == 0]
    if reached == start:  # no whole page inside: nothing released
        assert zero == []
        return
    assert start < reached <= end
    released = range(reached - (reached - start) // PAGE * PAGE, reached)
    # Every byte read back is a zero inside the released pages, untouched outside.
    assert buffer[released.start : released.stop] == bytes(len(released))
    assert buffer.count(b"x") == len(buffer) - len(released)
    assert released.start - start < PAGE  # at most one partial page left at each end
    assert end - released.stop < PAGE


def test_nothing_is_released_from_an_empty_range() -> None:
    buffer = bytearray(b"x" * 100_000)
    assert release_pages(buffer, 50_000, 50_000) == 50_000
    assert buffer.count(b"x") == 100_000


def test_dicts_are_encoded_in_pieces_of_about_a_megabyte_byte_for_byte() -> None:
    big = {f"k{i}": "x" * 3000 for i in range(1000)}  # ~3 MB of entries
    pieces = list(encode_in_pieces(big, depth=1))
    assert b"".join(pieces) == msgspec.msgpack.encode(big)
    assert len(pieces) >= 3  # the header, then about a megabyte of entries at a time
    assert max(len(p) for p in pieces) < DICT_PIECE + 3010
    nested = {"small": {"a": 1}, "big": big, "empty": {}}
    assert b"".join(encode_in_pieces(nested, depth=2)) == msgspec.msgpack.encode(nested)
