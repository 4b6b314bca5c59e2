"""Detection on several cores gives exactly the redaction and results of one process."""

from __future__ import annotations

import pytest

from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_cli import detection
from convoscope_cli.detection import ReplayRedactor, chunk_bounds, detect_in_parallel
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import encode_results
from convoscope_ingest.parsing import parse_export
from tests.e2e.helpers import load_generator

CONFIGS = {
    "replace": PrivacyConfig(),
    "mixed": PrivacyConfig(operators={"phone": "mask", "email": "pseudonym"}, secret="s3cret"),
}


@pytest.fixture(scope="module")
def corpus_bytes() -> bytes:
    """A generated claude.ai export (e-mail addresses and phone numbers sprinkled in)."""
    export = load_generator().generate_claude_export(120, seed=7)
    return encode_corpus(parse_export(export).corpus)


def _analyse(corpus: Corpus, config: PrivacyConfig, *, parallel: bool, in_place: bool) -> bytes:
    redactor = None
    if parallel:
        redactor = detect_in_parallel(corpus, config, workers=3)
        assert redactor is not None
    output = run_pipeline(corpus, AnalysisOptions(), config, in_place=in_place, redactor=redactor)
    output.results.generated_at = None
    return encode_results(output.results) + b"|" + encode_corpus(output.redacted_corpus)


@pytest.mark.skipif(not detection._can_fork(), reason="detection workers are forked (Linux)")
@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("in_place", [True, False])
def test_parallel_detection_equals_one_process(
    corpus_bytes: bytes, config_name: str, in_place: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detection, "MIN_MESSAGES", 0)
    config = CONFIGS[config_name]
    plain = _analyse(decode_corpus(corpus_bytes), config, parallel=False, in_place=in_place)
    parallel = _analyse(decode_corpus(corpus_bytes), config, parallel=True, in_place=in_place)
    assert parallel == plain
    # Something was found and replaced: the comparison is not between two untouched corpora.
    assert b"<EMAIL_" in plain


def test_one_worker_or_a_small_corpus_needs_no_pool(corpus_bytes: bytes) -> None:
    corpus = decode_corpus(corpus_bytes)
    assert detect_in_parallel(corpus, PrivacyConfig(), workers=1) is None
    small = Corpus(
        format=corpus.format,
        source=corpus.source,
        conversations=corpus.conversations[:3],
        health=corpus.health,
    )
    assert detect_in_parallel(small, PrivacyConfig(), workers=4) is None


def test_a_text_out_of_step_is_refused() -> None:
    replay = ReplayRedactor(PrivacyConfig(), iter([(hash("expected text"), [])]))
    with pytest.raises(RuntimeError, match="out of step"):
        replay.redact_text("another text")
    # Past the recorded texts (project names) it detects by itself.
    assert replay.redact_text("write to jane.doe@example.com")[0] == "write to <EMAIL_1>"


@pytest.mark.parametrize(
    ("sizes", "chunks"),
    [([5, 1, 1, 1, 9, 2, 2], 3), ([1] * 10, 4), ([100], 8), ([3, 3], 5), ([], 2)],
)
def test_chunks_are_contiguous_and_cover_everything(sizes: list[int], chunks: int) -> None:
    bounds = chunk_bounds(sizes, chunks)
    assert len(bounds) <= chunks
    covered = [i for a, b in bounds for i in range(a, b)]
    assert covered == list(range(len(sizes)))
    assert all(a < b for a, b in bounds)
