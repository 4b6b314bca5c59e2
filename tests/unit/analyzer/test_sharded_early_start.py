"""Analyse shards started range by range (``sharded_early.EarlyRunner``, the bus): each as soon
as its range is redacted and the fallback language is settled, while later ranges are
still detected; the results stay those of one process."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from convoscope_analyzer.engine.language import UNKNOWN, dominant
from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.plan import ShardPlan, settled_dominant
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.shard_corpus import DecodedShards, EncodedShards, ShardCorpus
from convoscope_analyzer.shard_redaction import (
    Recorded,
    TextPatch,
    apply_patches,
    text_patches_decoder,
)
from convoscope_analyzer.sharded import HereRunner, Ranges, run_sharded, shard_partial
from convoscope_analyzer.sharded_early import EarlyRunner, PatchedStage
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from tests.unit.analyzer.test_sharded_equality import CORPORA, SECTIONS, _corpus_bytes, _sections


class _Stage:
    """Analyses each range when it is started (its input must be final by then), hands
    the partials back last range first."""

    def __init__(self, runner: _Early, ranges: Ranges, plan: ShardPlan, options: EngineOptions):
        self.runner, self.ranges, self.plan, self.options = runner, ranges, plan, options
        self.partials: list[tuple[int, ShardPartial]] = []
        self.closed = False

    def start(self, index: int, part: Any) -> None:
        start, end = self.ranges[index]
        self.runner.events.append(f"start {index}")
        view = self.runner.access.view(part, 0, end - start)
        assert len(view.conversations) == end - start
        self.partials.append((index, shard_partial(view, start, self.plan, self.options)))

    def finished(self) -> Iterator[tuple[int, ShardPartial]]:
        assert len(self.partials) == len(self.ranges)  # every range started first
        yield from reversed(self.partials)

    def close(self) -> None:
        self.closed = True


class _Early(HereRunner[Any]):
    def __init__(self, access: ShardCorpus[Any]) -> None:
        super().__init__(access)
        self.events: list[str] = []
        self.stages: list[_Stage] = []

    def detect(
        self, corpus: Any, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        for index, recorded in super().detect(corpus, privacy, ranges):
            self.events.append(f"detected {index}")
            yield index, recorded

    def start_analysis(self, ranges: Ranges, plan: ShardPlan, options: EngineOptions) -> _Stage:
        assert plan.learned is None
        self.events.append("stage")
        self.stages.append(_Stage(self, ranges, plan, options))
        return self.stages[-1]

    def analyze(self, *args: Any) -> Iterator[tuple[int, ShardPartial]]:
        raise AssertionError("an early runner's shards are started range by range")


def _access(form: str, data: bytes, options: AnalysisOptions) -> ShardCorpus[Any]:
    if form == "encoded":
        return EncodedShards(RawCorpus.load(data))
    return DecodedShards(decode_corpus(data), hand_over=form == "handed" and options.enable_privacy)


def test_the_test_runner_is_an_early_one() -> None:
    assert isinstance(
        _Early(DecodedShards(decode_corpus(_corpus_bytes("claude_sample.json")))), EarlyRunner
    )
    assert not isinstance(
        HereRunner(DecodedShards(decode_corpus(_corpus_bytes("claude_sample.json")))), EarlyRunner
    )


def _against_one_process(
    corpus_name: str, form: str, enable_privacy: bool, patched: bool = False
) -> tuple[Any, ShardCorpus[Any], Any, Any]:
    """Run the corpus through an early runner (``patched``: its shards redo each range's
    redaction from the replay's patches) and check every section against one process:
    (runner, access, one process's output, the sharded output)."""
    data = _corpus_bytes(corpus_name)
    options = AnalysisOptions(enable_privacy=enable_privacy)
    one = run_pipeline(decode_corpus(data), options, PrivacyConfig())
    access = _access(form, data, options)
    runner = _PatchedEarly(access, data) if patched else _Early(access)
    output = run_sharded(access, options, PrivacyConfig(), shards=7, runner=runner)
    expected, got = _sections(one.results), _sections(output.results)
    for name in SECTIONS:
        assert got[name] == expected[name], f"section {name} differs"
    return runner, access, one, output


@pytest.mark.parametrize("corpus_name", CORPORA)
@pytest.mark.parametrize("form", ["decoded", "handed", "encoded"])
@pytest.mark.parametrize("enable_privacy", [True, False])
def test_results_and_redacted_corpus_equal_one_process(
    corpus_name: str, form: str, enable_privacy: bool
) -> None:
    runner, access, one, output = _against_one_process(corpus_name, form, enable_privacy)
    redacted = output.redacted
    assert redacted is not None
    as_bytes = redacted.encode() if isinstance(redacted, RawCorpus) else encode_corpus(redacted)
    assert as_bytes == encode_corpus(one.redacted_corpus)
    if form == "encoded":  # the original is let go once every range is started
        assert access.corpus.conversations == []
    (stage,) = runner.stages
    assert stage.closed
    starts = [e for e in runner.events if e.startswith("start")]
    assert starts == [f"start {i}" for i in range(len(stage.ranges))]


def test_shards_start_while_later_ranges_are_still_detected() -> None:
    data = _corpus_bytes("generated-claude")  # one language: settled early
    access = EncodedShards(RawCorpus.load(data))
    runner = _Early(access)
    run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=7, runner=runner)
    events = runner.events
    assert events.index("stage") < events.index("detected 6")
    assert events.index("start 0") < events.index("detected 6")
    # A range starts only once it is detected (and redacted).
    for i in range(7):
        assert events.index(f"detected {i}") < events.index(f"start {i}")


def test_the_stage_is_closed_when_the_run_fails() -> None:
    data = _corpus_bytes("generated-claude")
    access = EncodedShards(RawCorpus.load(data))

    class Failing(_Early):
        def detect(self, corpus, privacy, ranges):  # type: ignore[no-untyped-def]
            for index, recorded in super().detect(corpus, privacy, ranges):
                if index == 6:
                    raise RuntimeError("cancelled")
                yield index, recorded

    runner = Failing(access)
    with pytest.raises(RuntimeError, match="cancelled"):
        run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=7, runner=runner)
    (stage,) = runner.stages
    assert stage.closed and 0 < len(stage.partials) < 7


def test_settled_dominant_is_dominant_whatever_follows() -> None:
    languages = ["en", "de", "fr", UNKNOWN]
    for k in range(6):
        for known in itertools.product(languages, repeat=k):
            for left in range(4):
                got = settled_dominant(list(known), left)
                answers = {
                    dominant([*known, *more])
                    for more in itertools.product([*languages, "es"], repeat=left)
                }
                # Settled exactly when every continuation gives the same answer.
                assert (got is not None) == (len(answers) == 1), (known, left)
                if got is not None:
                    assert answers == {got}


def test_each_redacted_range_of_the_original_is_let_go() -> None:
    data = _corpus_bytes("generated-claude")
    raw = RawCorpus.load(data)
    access = EncodedShards(raw)
    seen: list[int] = []  # conversations before the range still held

    class Watching(_Early):
        def detect(self, corpus, privacy, ranges):  # type: ignore[no-untyped-def]
            for index, recorded in super().detect(corpus, privacy, ranges):
                # Every range before this one is redacted: its originals are gone.
                start = ranges[index][0]
                seen.append(sum(1 for c in corpus.conversations[:start] if len(c)))
                yield index, recorded

    run_sharded(access, AnalysisOptions(), PrivacyConfig(), shards=7, runner=Watching(access))
    assert seen == [0] * 7
    assert raw.conversations == []


def test_ranges_held_in_blocks_encode_as_before() -> None:
    data = _corpus_bytes("claude_sample.json")
    alone = sys.getrefcount(data)
    raw = RawCorpus.load(data)
    assert sys.getrefcount(data) > alone  # the conversations are views of it
    n = len(raw.conversations)
    raw.own([(0, n // 2), (n // 2, n)])
    assert sys.getrefcount(data) == alone  # copied out: the stored bytes may go
    assert raw.encode() == data
    assert raw.encode(1, n - 1, projects=False) == RawCorpus.load(data).encode(
        1, n - 1, projects=False
    )
    with pytest.raises(AssertionError, match="cover"):
        raw.own([(0, 1)])


class _PatchedStage(_Stage):
    """The bus's way: each range's shard gets the original range and the replay's
    patches, and redoes the redaction (``apply_patches``) before analysing."""

    def __init__(self, runner: _Early, original: bytes, *args: Any) -> None:
        super().__init__(runner, *args)
        self.original = RawCorpus.load(original)
        self.patched: list[int] = []

    def start_patched(self, index: int, part: Any, patches: bytes) -> None:
        start, end = self.ranges[index]
        mine = self.original.decode(start, end)
        replaced = text_patches_decoder.decode(patches) if patches else []
        apply_patches(mine, replaced)
        # Redone on the original, the range is the one the replay redacted, byte for byte.
        held = self.runner.access.view(part, 0, end - start)
        assert encode_corpus(mine) == encode_corpus(held)
        self.patched.append(len(replaced))
        self.start(index, RawCorpus.load(encode_corpus(mine)) if isinstance(part, RawCorpus)
                   else mine)  # fmt: skip


class _PatchedEarly(_Early):
    patched = True

    def __init__(self, access: ShardCorpus[Any], original: bytes) -> None:
        super().__init__(access)
        self.original = original

    def start_analysis(self, ranges: Ranges, plan: ShardPlan, options: EngineOptions) -> _Stage:
        self.events.append("stage")
        self.stages.append(_PatchedStage(self, self.original, ranges, plan, options))
        return self.stages[-1]


@pytest.mark.parametrize("corpus_name", CORPORA)
@pytest.mark.parametrize("form", ["decoded", "encoded"])
@pytest.mark.parametrize("enable_privacy", [True, False])
def test_ranges_redacted_again_from_the_replays_patches_equal_one_process(
    corpus_name: str, form: str, enable_privacy: bool
) -> None:
    runner, _, _, _ = _against_one_process(corpus_name, form, enable_privacy, patched=True)
    (stage,) = runner.stages
    assert isinstance(stage, PatchedStage)
    assert isinstance(stage, _PatchedStage)
    # Every range goes to its shard as the original and its patches; with privacy off
    # the shards analyse the original as it is: no patches are made.
    assert len(stage.patched) == len(stage.ranges)
    if not enable_privacy:
        assert sum(stage.patched) == 0
    elif corpus_name == "generated-claude":
        assert sum(stage.patched) > 0


def _one_conversation() -> Corpus:
    corpus = decode_corpus(_corpus_bytes("claude_sample.json"))
    corpus.conversations = corpus.conversations[:1]
    corpus.projects = []
    return corpus


def test_a_patch_for_another_text_is_refused() -> None:
    corpus = _one_conversation()
    with pytest.raises(RuntimeError, match="out of step"):
        apply_patches(corpus, [TextPatch(0, 0, 12345, "<EMAIL_1>")])  # wrong checksum
    with pytest.raises(RuntimeError, match="out of step"):
        apply_patches(corpus, [TextPatch(3, 0, 0, "x")])  # no such conversation
    with pytest.raises(RuntimeError, match="out of step"):
        apply_patches(corpus, [TextPatch(0, 10**6, 0, "x")])  # no such text
