"""The sharded driver's arrangement: shards start before the topic models are fitted,
the fallback language is the one make_plan picks (also when conversations rely on it),
learned rows are read whenever the fit ends, and errors on either side end the run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import msgspec
import pytest

from convoscope_analyzer.engine.language import UNKNOWN
from convoscope_analyzer.engine.options import EngineOptions, ProgressUpdate
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.plan import SampleReader, ShardPlan, make_plan, plan_sample
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.shard_corpus import DecodedShards, EncodedShards
from convoscope_analyzer.sharded import HereRunner, Ranges, run_sharded
from convoscope_common.corpus import Conversation, Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from tests.unit.analyzer.test_sharded_equality import _corpus_bytes, _sections


def _sample(corpus: Corpus) -> list[Conversation]:
    positions = plan_sample([len(c.messages) for c in corpus.conversations])
    return [corpus.conversations[i] for i in positions]


def _with_unreadable(data: bytes) -> bytes:
    """Every fifth conversation without readable text (digits and signs only): its
    language is the corpus's fallback, in every section that reads languages."""
    corpus = decode_corpus(data)
    for i, conversation in enumerate(corpus.conversations):
        if i % 5 == 2:
            for m in conversation.messages:
                m.text = f"{i} + {len(m.text)} = ?"
    return encode_corpus(corpus)


@pytest.fixture(scope="module")
def unreadable() -> bytes:
    return _with_unreadable(_corpus_bytes("generated-claude"))


def test_the_fixture_relies_on_the_fallback(unreadable: bytes) -> None:
    corpus = decode_corpus(unreadable)
    reader = SampleReader()
    reader.add(_sample(corpus))
    assert UNKNOWN in reader.languages and reader.fallback() not in (UNKNOWN, "")


@pytest.mark.parametrize("shards", [1, 3, 8])
@pytest.mark.parametrize("enable_privacy", [True, False])
def test_conversations_taking_the_fallback_read_alike(
    unreadable: bytes, shards: int, enable_privacy: bool
) -> None:
    options = AnalysisOptions(enable_privacy=enable_privacy)
    one = run_pipeline(decode_corpus(unreadable), options, PrivacyConfig())
    for access in (
        DecodedShards(decode_corpus(unreadable), hand_over=enable_privacy),
        EncodedShards(RawCorpus.load(unreadable)),
    ):
        output = run_sharded(access, options, PrivacyConfig(), shards=shards)  # type: ignore[var-annotated]
        assert _sections(output.results) == _sections(one.results)
        redacted = output.redacted
        encoded = redacted.encode() if isinstance(redacted, RawCorpus) else encode_corpus(redacted)
        assert encoded == encode_corpus(one.redacted_corpus)


@pytest.mark.parametrize("pieces", [1, 2, 7, 1000])
def test_the_sample_read_in_pieces_is_make_plans(unreadable: bytes, pieces: int) -> None:
    corpus = decode_corpus(unreadable)
    sample = _sample(corpus)
    reader = SampleReader()
    step = max(1, len(sample) // pieces)
    for i in range(0, len(sample), step):
        reader.add(sample[i : i + step])
    got, expected = reader.plan(), make_plan(corpus)
    assert got.fallback_language == expected.fallback_language
    assert got.learned is not None and expected.learned is not None
    for a, b in zip(got.learned.models, expected.learned.models, strict=True):
        assert (a.language, a.top_terms) == (b.language, b.top_terms)
        assert (a.components == b.components).all() and (a.factor == b.factor).all()


class _Recording(HereRunner[Corpus]):
    """Records when the shards start; yields two partials before the fit may start and
    the others once it has ended."""

    def __init__(self, access: DecodedShards, events: list[str]) -> None:
        super().__init__(access)
        self.events = events
        self.may_fit = threading.Event()
        self.fitted = threading.Event()

    def analyze(
        self, corpus: Corpus, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> Iterator[tuple[int, ShardPartial]]:
        self.events.append("shards started")
        assert plan.learned is None  # a shard needs only the fallback
        computed = list(super().analyze(corpus, ranges, plan, options))

        def in_two_halves() -> Iterator[tuple[int, ShardPartial]]:
            yield from computed[:2]
            self.may_fit.set()
            assert self.fitted.wait(30)
            time.sleep(0.3)  # the fit's future is settled just after it returns
            yield from computed[2:]

        return in_two_halves()


def test_shards_start_before_the_fit_and_progress_stays_monotone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _corpus_bytes("generated-claude")
    events: list[str] = []
    access = DecodedShards(decode_corpus(data))
    runner = _Recording(access, events)
    real = SampleReader.plan

    def plan(self: SampleReader, pulse=None, models=None):  # type: ignore[no-untyped-def]
        assert runner.may_fit.wait(30)
        events.append("fit started")
        found = real(self, pulse, models)
        runner.fitted.set()
        return found

    monkeypatch.setattr(SampleReader, "plan", plan)
    updates: list[ProgressUpdate] = []
    output = run_sharded(
        access, AnalysisOptions(), PrivacyConfig(), shards=6, runner=runner,
        progress=updates.append,
    )  # fmt: skip
    assert events == ["shards started", "fit started"]
    one = run_pipeline(decode_corpus(data), AnalysisOptions(), PrivacyConfig())
    assert _sections(output.results) == _sections(one.results)
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 0.95
    fitted = [u for u in updates if u.message == "Topic models fitted on the sample"]
    assert len(fitted) == 1
    # Two partials came back before the fit ended, the others after it.
    assert 0.2 < fitted[0].fraction < 0.93


def test_an_error_of_the_fit_ends_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SampleReader, pulse=None, models=None):  # type: ignore[no-untyped-def]
        raise ValueError("fit failed")

    monkeypatch.setattr(SampleReader, "plan", broken)
    corpus = decode_corpus(_corpus_bytes("claude_sample.json"))
    with pytest.raises(ValueError, match="fit failed"):
        run_sharded(DecodedShards(corpus), AnalysisOptions(), PrivacyConfig(), shards=2)


def test_a_failed_shard_ends_the_run_and_stops_the_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    pulses: list[bool] = []
    stopped = threading.Event()
    real = SampleReader.plan

    def plan(self: SampleReader, pulse=None, models=None):  # type: ignore[no-untyped-def]
        stopped.wait(5)  # until the run has ended
        try:
            assert pulse is not None
            pulse()
        except Exception as exc:
            pulses.append(type(exc).__name__ == "_FitStopped")
            raise
        return real(self, pulse, models)

    class Failing(HereRunner[Corpus]):
        def analyze(self, corpus, ranges, plan_, options):  # type: ignore[no-untyped-def]
            def gen() -> Iterator[tuple[int, ShardPartial]]:
                raise RuntimeError("a shard failed")
                yield  # pragma: no cover

            return gen()

    monkeypatch.setattr(SampleReader, "plan", plan)
    corpus = decode_corpus(_corpus_bytes("claude_sample.json"))
    access = DecodedShards(corpus)
    with pytest.raises(RuntimeError, match="a shard failed"):
        run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=2, runner=Failing(access))
    stopped.set()
    for _ in range(50):
        if pulses:
            break
        time.sleep(0.1)
    assert pulses == [True]


def test_a_partial_copy_keeps_the_original_corpus_intact() -> None:
    data = _corpus_bytes("generated-claude")
    corpus = decode_corpus(data)
    run_sharded(DecodedShards(corpus), AnalysisOptions(), PrivacyConfig(), shards=3)
    assert msgspec.msgpack.encode(corpus) == msgspec.msgpack.encode(decode_corpus(data))


def test_an_empty_corpus_gives_one_processs_results() -> None:
    one = run_pipeline(Corpus(), AnalysisOptions(), PrivacyConfig())
    for access in (DecodedShards(Corpus()), EncodedShards(RawCorpus.load(encode_corpus(Corpus())))):
        output = run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=3)  # type: ignore[var-annotated]
        output.results.generated_at = one.results.generated_at
        assert _sections(output.results) == _sections(one.results)
