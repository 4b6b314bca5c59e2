"""The coordinator's encoded corpus access (``raw_corpus.py``, ``shard_corpus.py``) and
the sharded run over it: byte-identical to the decoded path.

``RawCorpus`` must encode exactly as ``encode_corpus`` does (slices and whole), and
``run_sharded`` over it must give the results, privacy report and redacted corpus of
``run_pipeline`` on every section, for any number of shards and whatever order the
shards come back in.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import msgspec
import pytest

from convoscope_analyzer.engine.learned import SAMPLE_DOCUMENTS, sample_positions
from convoscope_analyzer.engine.plan import plan_sample
from convoscope_analyzer.memory import PAGE
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import EncodedCorpus, RawCorpus, StreamedCorpus, _frame
from convoscope_analyzer.shard_corpus import EncodedShards
from convoscope_analyzer.shard_redaction import Recorded
from convoscope_analyzer.sharded import HereRunner, Ranges, run_sharded
from convoscope_common.corpus import Project, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from tests.unit.analyzer.test_sharded_equality import CORPORA, SECTIONS, _corpus_bytes, _sections


@pytest.fixture(scope="module", params=CORPORA)
def corpus_bytes(request: pytest.FixtureRequest) -> bytes:
    data = _corpus_bytes(request.param)
    corpus = decode_corpus(data)
    # Projects are redacted after every conversation: give each corpus some.
    corpus.projects = [Project(id="p1", name="Mail bob@example.com"), Project(id="p2", name="")]
    return encode_corpus(corpus)


def test_slices_and_whole_encode_as_encode_corpus(corpus_bytes: bytes) -> None:
    corpus = decode_corpus(corpus_bytes)
    raw = RawCorpus.load(corpus_bytes)
    n = len(corpus.conversations)
    assert raw.sizes == [len(c.messages) for c in corpus.conversations]
    assert raw.encode() == corpus_bytes
    for a, b in [(0, n), (0, 1), (n // 3, n), (1, max(1, n - 1))]:
        part = msgspec.structs.replace(corpus, conversations=corpus.conversations[a:b], projects=[])
        assert raw.encode(a, b, projects=False) == encode_corpus(part)
        assert raw.decode(a, b) == part
    assert raw.decode_at([n - 1, 0]) == [corpus.conversations[-1], corpus.conversations[0]]


class _Shuffled(HereRunner[RawCorpus]):
    """Detections and partials arriving last range first (the replay must wait for the
    earlier ones; the merge puts them in order)."""

    def detect(
        self, corpus: RawCorpus, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        yield from reversed(list(super().detect(corpus, privacy, ranges)))

    def analyze(self, corpus, ranges, plan, options):  # type: ignore[no-untyped-def]
        return reversed(list(super().analyze(corpus, ranges, plan, options)))


@pytest.mark.parametrize("shards", [1, 3, 7])
@pytest.mark.parametrize("enable_privacy", [True, False])
def test_results_and_redacted_corpus_equal_one_process(
    corpus_bytes: bytes, shards: int, enable_privacy: bool
) -> None:
    options = AnalysisOptions(enable_privacy=enable_privacy)
    one = run_pipeline(decode_corpus(corpus_bytes), options, PrivacyConfig())
    expected = _sections(one.results)
    handed: list[RawCorpus] = []
    access = EncodedShards(RawCorpus.load(corpus_bytes))
    output = run_sharded(
        access,
        options,
        PrivacyConfig(),
        shards=shards,
        runner=_Shuffled(access) if shards > 1 else None,
        on_redacted=handed.append if shards != 3 else None,
    )
    got = _sections(output.results)
    for name in SECTIONS:
        assert got[name] == expected[name], f"section {name} differs with {shards} shards"
    redacted = output.redacted if shards == 3 else handed[0]
    assert redacted is not None
    # What the service stores: the encoding streamed from the redacted conversations.
    assert EncodedCorpus(redacted).read() == encode_corpus(one.redacted_corpus)
    assert redacted.encode() == encode_corpus(one.redacted_corpus)
    assert (output.redacted is None) == (shards != 3)
    # With privacy on the original conversations are released once redacted.
    assert (access.corpus.conversations == []) == enable_privacy


def test_detections_out_of_step_are_refused() -> None:
    data = _corpus_bytes("generated-claude")

    class Short(HereRunner[RawCorpus]):
        def detect(self, corpus, privacy, ranges):  # type: ignore[no-untyped-def]
            for index, recorded in super().detect(corpus, privacy, ranges):
                yield index, [*recorded, recorded[0]]  # one recording too many

    access = EncodedShards(RawCorpus.load(data))
    with pytest.raises(RuntimeError, match="out of step"):
        run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=2, runner=Short(access))


@pytest.mark.parametrize("count", [0, 5, SAMPLE_DOCUMENTS, SAMPLE_DOCUMENTS + 1, 7_777])
def test_the_plan_sample_is_the_one_make_plan_reads(count: int) -> None:
    sizes = [(i * 7) % 5 for i in range(count)]  # every fifth conversation empty
    non_empty = [i for i, n in enumerate(sizes) if n]
    expected = [non_empty[i] for i in sample_positions(len(non_empty))]
    sample = plan_sample(sizes)
    assert sample == expected
    assert len(sample) <= SAMPLE_DOCUMENTS
    # A corpus of just the sample is read whole by make_plan (no second sampling).
    assert sample_positions(len(sample)) == list(range(len(sample)))


@pytest.mark.parametrize("cuts", [1, 3, 8])
def test_owning_ranges_releases_the_buffer_they_were_split_from(
    corpus_bytes: bytes, cuts: int
) -> None:
    buffer = bytearray(corpus_bytes)
    raw = RawCorpus.load(buffer)
    n = len(raw.conversations)
    bounds = [(n * k // cuts, n * (k + 1) // cuts) for k in range(cuts)]
    bounds = [(a, b) for a, b in bounds if b > a]
    head, _ = _frame(raw.shell, n)
    region = range(len(head), len(head) + sum(len(c) for c in raw.conversations))
    assert buffer[: region.start] == head  # what load checks before releasing anything
    raw.own(bounds)
    # The owned copies encode the corpus exactly; pages holding only conversations are
    # handed back (they read as zeros), nothing outside them is touched.
    assert raw.encode() == corpus_bytes
    assert buffer[: region.start] == corpus_bytes[: region.start]
    assert buffer[region.stop :] == corpus_bytes[region.stop :]
    zeroed = sum(1 for x, y in zip(buffer, corpus_bytes, strict=True) if x != y)
    if sys.platform == "linux" and len(region) > 2 * PAGE * len(bounds):
        assert zeroed > len(region) // 2


def test_a_corpus_let_go_holds_nothing_of_its_buffer(corpus_bytes: bytes) -> None:
    buffer = bytearray(corpus_bytes)
    before = sys.getrefcount(buffer)
    raw = RawCorpus.load(buffer)
    assert sys.getrefcount(buffer) > before  # views of it, and the buffer to release
    raw.let_go()
    assert raw.conversations == []
    assert sys.getrefcount(buffer) == before  # it goes with its last other holder


def test_a_corpus_loaded_from_bytes_is_owned_as_it_is(corpus_bytes: bytes) -> None:
    raw = RawCorpus.load(corpus_bytes)  # immutable: nothing of it can be released
    n = len(raw.conversations)
    raw.own([(0, n // 2), (n // 2, n)] if n > 1 else [(0, n)])
    assert raw.encode() == corpus_bytes


def test_a_corrupt_corpus_is_refused() -> None:
    with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
        RawCorpus.load(b"\x81\xa5junk")


def test_giving_memory_back_is_harmless() -> None:
    from convoscope_analyzer.memory import give_back

    kept = [bytes(1000) for _ in range(1000)]
    del kept
    give_back()
    give_back()


@pytest.mark.parametrize("count", [0, 1, 15, 16, 300])
@pytest.mark.parametrize("chunk", [1, 7, 128 * 1024, -1])
def test_encoded_corpus_streams_the_encoding(count: int, chunk: int) -> None:
    raw = RawCorpus.load(_corpus_bytes("generated-claude"))
    raw.conversations = (raw.conversations * (count // max(1, len(raw.conversations)) + 1))[:count]
    raw.sizes = raw.sizes[:0] + [0] * count
    expected = raw.encode()
    stream = EncodedCorpus(raw)
    assert stream.size == len(stream) == len(expected)
    assert _read_all(stream, chunk) == expected


def _read_all(stream: EncodedCorpus | StreamedCorpus, chunk: int) -> bytes:
    """Everything ``stream`` gives in reads of ``chunk`` bytes (never more), then
    ``b""`` again."""
    parts = []
    while part := stream.read(chunk):
        parts.append(part)
        if chunk > 0:
            assert len(part) <= chunk
    assert stream.read(chunk) == b""
    return b"".join(parts)


@pytest.mark.parametrize("corpus_name", CORPORA)
@pytest.mark.parametrize("count", [0, 1, 40])
@pytest.mark.parametrize("chunk", [1, 7, 128 * 1024, -1])
def test_a_decoded_corpus_streams_its_encoding(corpus_name: str, count: int, chunk: int) -> None:
    """``StreamedCorpus``: what ``encode_corpus`` writes, byte for byte, whatever the
    reads (projects, health and content hashes around the conversations); every
    conversation let go of once read."""
    corpus = decode_corpus(_corpus_bytes(corpus_name))
    corpus.conversations = (corpus.conversations * (count + 1))[:count]
    corpus.content_hashes = {"c1": "sha256:00"} if count else {}
    expected = encode_corpus(corpus)
    stream = StreamedCorpus(corpus)
    assert corpus.conversations == []  # handed over
    assert _read_all(stream, chunk) == expected
    assert stream.size == len(expected)
    assert all(c is None for c in stream._conversations)
