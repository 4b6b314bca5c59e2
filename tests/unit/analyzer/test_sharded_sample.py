"""The plan's sample is read range by range while the shards detect (not between the two
shard stages), from the text the analysis reads: redacted with privacy on, the original
with privacy off."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from convoscope_analyzer.engine.plan import SampleReader, plan_sample
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.shard_corpus import EncodedShards
from convoscope_analyzer.shard_redaction import Recorded
from convoscope_analyzer.sharded import HereRunner, Ranges, run_sharded
from convoscope_common.corpus import Conversation, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from tests.unit.analyzer.test_sharded_equality import _corpus_bytes

ADDRESS = "reach me at anna.sample@example.org please"


def _with_addresses(data: bytes) -> bytes:
    """Every user message of every sample conversation names an e-mail address."""
    corpus = decode_corpus(data)
    for i in plan_sample([len(c.messages) for c in corpus.conversations]):
        for m in corpus.conversations[i].messages:
            if m.role == "user":
                m.text = f"{m.text} {ADDRESS}"
    return encode_corpus(corpus)


class _Logged(HereRunner[RawCorpus]):
    """Logs each range's detections as it hands them over."""

    def __init__(self, access: EncodedShards, events: list[str]) -> None:
        super().__init__(access)
        self.events = events

    def detect(
        self, corpus: RawCorpus, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        for index, recorded in super().detect(corpus, privacy, ranges):
            self.events.append(f"detected {index}")
            yield index, recorded


@pytest.mark.parametrize("enable_privacy", [True, False])
def test_the_sample_is_read_as_ranges_are_replayed(
    monkeypatch: pytest.MonkeyPatch, enable_privacy: bool
) -> None:
    data = _with_addresses(_corpus_bytes("generated-claude"))
    events: list[str] = []
    read: list[str] = []
    real = SampleReader.add

    def add(self: SampleReader, conversations: Sequence[Conversation]) -> None:
        events.append("sample")
        read.extend(m.text for c in conversations for m in c.messages if m.role == "user")
        real(self, conversations)

    monkeypatch.setattr(SampleReader, "add", add)
    access = EncodedShards(RawCorpus.load(data))
    options = AnalysisOptions(enable_privacy=enable_privacy)
    run_sharded(access, options, PrivacyConfig(), shards=4, runner=_Logged(access, events))
    # Some of the sample is read before the last range's detections arrive, and
    # nothing after them but that range's share.
    assert events.index("sample") < events.index("detected 3")
    assert events[-1] == "sample" and events[-2] == "detected 3"
    # The texts the analysis reads: redacted only when the analysis reads redacted text.
    assert read and all(("anna.sample@example.org" in t) != enable_privacy for t in read)
