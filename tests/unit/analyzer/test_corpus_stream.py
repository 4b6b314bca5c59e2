"""``CorpusStream``: a decoded corpus written as it is stored (the redacted corpus of a
job), byte for byte what ``encode_corpus`` writes, whatever the reads' sizes, letting
go of each conversation once encoded."""

from __future__ import annotations

import msgspec
import pytest

from convoscope_analyzer import raw_corpus
from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.raw_corpus import CorpusStream
from convoscope_common.corpus import Corpus, Project, decode_corpus, encode_corpus
from tests.unit.analyzer.test_sharded_equality import CORPORA, _corpus_bytes


@pytest.fixture(scope="module", params=CORPORA)
def corpus_bytes(request: pytest.FixtureRequest) -> bytes:
    corpus = decode_corpus(_corpus_bytes(request.param))
    corpus.projects = [Project(id="p1", name="Mail"), Project(id="p2", name="")]
    return encode_corpus(corpus)


def _read_all(stream: CorpusStream, n: int) -> bytes:
    out = bytearray()
    while True:
        part = stream.read(n)
        if not part:
            return bytes(out)
        assert n < 0 or len(part) <= n
        out += part


@pytest.mark.parametrize("n", [-1, 1, 7, 128 * 1024])
def test_stream_is_encode_corpus(corpus_bytes: bytes, n: int) -> None:
    corpus = load_corpus(corpus_bytes)
    assert corpus.conversations
    stream = CorpusStream(corpus)
    data = _read_all(stream, n)
    assert data == corpus_bytes
    assert stream.size == len(corpus_bytes)
    assert stream.read(10) == b""


def test_conversations_are_let_go_of_as_they_are_read(
    corpus_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raw_corpus, "_STREAM_BATCH", 1)  # a batch per conversation
    corpus = load_corpus(corpus_bytes)
    n = len(corpus.conversations)
    stream = CorpusStream(corpus)
    assert corpus.conversations == []  # the stream holds the only list
    first = stream.read(len(corpus_bytes) // 2)
    held = [c for c in stream._conversations if c is not None]
    if n >= 3:  # half the bytes read: some conversations let go of, some still held
        assert 0 < len(held) < n
    assert first + _read_all(stream, -1) == corpus_bytes
    assert all(c is None for c in stream._conversations)


def test_a_corpus_without_conversations() -> None:
    corpus = Corpus(format="claude", source="claude", projects=[Project(id="p", name="x")])
    expected = encode_corpus(corpus)
    copy = msgspec.structs.replace(corpus)
    assert _read_all(CorpusStream(copy), 3) == expected
