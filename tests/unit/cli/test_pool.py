"""Detection and analysis in shards on several cores give exactly one process's output."""

from __future__ import annotations

import pytest

from convoscope_analyzer.engine import ProgressUpdate
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_cli import pool
from convoscope_cli.pool import analyze_on_cores
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import encode_results
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator

CONFIGS = {
    "replace": PrivacyConfig(),
    "mixed": PrivacyConfig(operators={"phone": "mask", "email": "pseudonym"}, secret="s3cret"),
}


@pytest.fixture(scope="module")
def corpus_bytes() -> bytes:
    """A generated claude.ai export (e-mail addresses and phone numbers sprinkled in)."""
    export = load_generator().generate_claude_export(260, seed=7)
    return encode_corpus(parse_export(export).corpus)


def _output(corpus: Corpus, config: PrivacyConfig, *, jobs: int | None, in_place: bool) -> bytes:
    if jobs is None:
        output = run_pipeline(corpus, AnalysisOptions(), config, in_place=in_place)
    else:
        output = analyze_on_cores(corpus, AnalysisOptions(), config, jobs=jobs, in_place=in_place)
    output.results.generated_at = None
    return encode_results(output.results) + b"|" + encode_corpus(output.redacted_corpus)


@pytest.mark.skipif(not pool.can_fork(), reason="shard workers are forked (Linux)")
@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("in_place", [True, False])
def test_pool_output_equals_one_process(
    corpus_bytes: bytes, config_name: str, in_place: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CONFIGS[config_name]
    used: list[int] = []
    real = pool._in_pool

    def counting(workers, ranges, task, shared):  # type: ignore[no-untyped-def]
        used.append(len(ranges))
        yield from real(workers, ranges, task, shared)

    monkeypatch.setattr(pool, "_in_pool", counting)
    parallel = _output(decode_corpus(corpus_bytes), config, jobs=3, in_place=in_place)
    assert used == [3 * pool.SHARDS_PER_WORKER] * 2  # detection, then analysis, in the pool
    one = _output(decode_corpus(corpus_bytes), config, jobs=None, in_place=in_place)
    assert parallel == one


@pytest.mark.skipif(not pool.can_fork(), reason="shard workers are forked (Linux)")
def test_progress_is_monotone_and_ends_with_insights(corpus_bytes: bytes) -> None:
    updates: list[ProgressUpdate] = []
    analyze_on_cores(
        decode_corpus(corpus_bytes), AnalysisOptions(), PrivacyConfig(), jobs=2,
        progress=updates.append,
    )  # fmt: skip
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 0.95
    found = [i for u in updates for i in u.new_insights]
    assert any(i.startswith("Detected ") for i in found)
    assert any(i.startswith("Found ") and i.endswith(" different topics") for i in found)


def test_one_worker_or_a_small_corpus_needs_no_pool(
    corpus_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("no pool expected")

    monkeypatch.setattr(pool, "_in_pool", refuse)
    corpus = decode_corpus(corpus_bytes)
    small = Corpus(conversations=corpus.conversations[:3])
    analyze_on_cores(corpus, AnalysisOptions(), PrivacyConfig(), jobs=1)
    analyze_on_cores(small, AnalysisOptions(), PrivacyConfig(), jobs=4)
