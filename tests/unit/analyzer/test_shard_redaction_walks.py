"""The shard redaction's own walks record and replay exactly what they did through
``redact_corpus_in_place`` (reference_shard_redaction.py, frozen before issue #12).

On generated claude.ai and ChatGPT exports and a synthetic corpus (more than 10,000
texts): the recorded
detections are identical, and replaying them range by range gives the same redacted
corpus, byte for byte, and the same report, as the frozen replay and as one process's
``redact_corpus``. A recording out of step with the texts is refused.
"""

from __future__ import annotations

import msgspec
import pytest

from convoscope_analyzer.privacy import PrivacyConfig, redact_corpus
from convoscope_analyzer.privacy.text_fields import text_slots
from convoscope_analyzer.shard_redaction import RangeRedaction, Recorded, record_detections
from convoscope_common.corpus import Corpus, encode_corpus
from convoscope_common.results import PrivacyReport
from convoscope_ingest.parsing import ParseLimits, parse_export
from tests.export_texts import bench_module, load_generator

from . import reference_shard_redaction as before

CONFIGS = {
    "default": PrivacyConfig(),
    "operators": PrivacyConfig.from_mapping(
        {"operators": "email=mask,phone=pseudonym,person_name=keep", "secret": "s" * 32}
    ),
}


def _parse(data: bytes) -> Corpus:
    return parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus


@pytest.fixture(scope="module")
def corpora() -> list[Corpus]:
    generator = load_generator()
    found = [
        _parse(generator.generate_claude_export(360, seed=31)),
        _parse(generator.generate_chatgpt_export(360, seed=32)),
        bench_module("synthetic_corpus").make_corpus(150, seed=3),  # dense in personal data
    ]
    texts = sum(1 for c in found for conv in c.conversations for _ in text_slots(conv))
    assert texts >= 10_000
    return found


def _ranges(corpus: Corpus, count: int) -> list[tuple[int, int]]:
    n = len(corpus.conversations)
    step = max(1, -(-n // count))
    return [(a, min(n, a + step)) for a in range(0, n, step)]


def _copy(corpus: Corpus) -> Corpus:
    return msgspec.msgpack.decode(msgspec.msgpack.encode(corpus), type=Corpus)


def _replay(
    redaction: RangeRedaction | before.RangeRedaction,
    corpus: Corpus,
    recorded: list[list[Recorded]],
) -> tuple[bytes, PrivacyReport]:
    kept = []
    for (a, b), found in zip(_ranges(corpus, 5), recorded, strict=True):
        part = msgspec.structs.replace(corpus, conversations=corpus.conversations[a:b], projects=[])
        redaction.range(part, found)
        kept += part.conversations
    redaction.projects(corpus.projects)
    done = msgspec.structs.replace(corpus, conversations=kept)
    return encode_corpus(done), redaction.report()


@pytest.mark.parametrize("setting", sorted(CONFIGS))
def test_record_and_replay_equal_the_frozen_walks(corpora: list[Corpus], setting: str) -> None:
    config = CONFIGS[setting]
    detections = 0
    for corpus in corpora:
        ranges = _ranges(corpus, 5)
        new = [record_detections(corpus, config, a, b) for a, b in ranges]
        old = [before.record_detections(corpus, config, a, b) for a, b in ranges]
        assert msgspec.msgpack.encode(new) == msgspec.msgpack.encode(old)
        detections += sum(len(r.detections) for found in new for r in found)
        new_bytes, new_report = _replay(RangeRedaction(config), _copy(corpus), new)
        old_bytes, old_report = _replay(before.RangeRedaction(config), _copy(corpus), old)
        assert new_bytes == old_bytes
        assert new_report == old_report
        one_process, report = redact_corpus(_copy(corpus), config)
        assert new_bytes == encode_corpus(one_process)
        assert new_report == report
    assert detections > 500  # a comparison without detections would prove nothing


@pytest.mark.parametrize("change", ["shorter", "longer", "other text"])
def test_a_recording_out_of_step_is_refused(corpora: list[Corpus], change: str) -> None:
    corpus = corpora[0]
    config = PrivacyConfig()
    recorded = record_detections(corpus, config, 0, 3)
    if change == "shorter":
        recorded = recorded[:-1]
    elif change == "longer":
        recorded = [*recorded, recorded[0]]
    else:
        recorded = [Recorded(recorded[0].checksum ^ 1, recorded[0].detections), *recorded[1:]]
    part = msgspec.structs.replace(corpus, conversations=corpus.conversations[:3], projects=[])
    with pytest.raises(RuntimeError, match="out of step"):
        RangeRedaction(config).range(_copy(part), recorded)
