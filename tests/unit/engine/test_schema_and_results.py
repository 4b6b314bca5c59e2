from pathlib import Path

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.schema import render_schema
from convoscope_common.results import (
    ENGINE_VERSION,
    AnalysisResults,
    decode_results,
    encode_results,
)

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "results-schema.json"


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == render_schema(), (
        "docs/results-schema.json is stale: run "
        "python -m convoscope_analyzer.engine.schema > docs/results-schema.json"
    )


def test_results_round_trip_and_charts(make_conversation, corpus_of) -> None:
    results = analyze(
        corpus_of(
            make_conversation("c", ("user", "How do I bake bread?"), ("assistant", "Knead it."))
        ),
        EngineOptions(timezone="Europe/Paris"),
    )
    assert results.engine_version == ENGINE_VERSION
    assert results.privacy is None
    assert decode_results(encode_results(results)) == results
    assert {c.id for c in results.charts} == {
        "topic_distribution",
        "sentiment_over_time",
        "sentiment_labels_over_time",
        "failure_types_by_severity",
        "weekday_hour_heatmap",
        "calendar_heatmap",
        "conversation_length_distribution",
        "message_length_over_time",
    }
    lengths = next(c for c in results.charts if c.id == "conversation_length_distribution")
    assert lengths.series[0].values[lengths.x.index("1-2")] == 1.0
    heatmap = next(c for c in results.charts if c.id == "weekday_hour_heatmap")
    assert heatmap.series[0].values[10] == 2.0  # Monday 09:00 UTC = 10:00 in Paris
    assert isinstance(results, AnalysisResults)


def test_empty_corpus(corpus_of) -> None:
    results = analyze(corpus_of(), EngineOptions())
    assert results.summary.conversations == 0
    assert results.temporal is not None and results.temporal.heatmap == [[0] * 24] * 7
    assert results.quality is not None and results.quality.failures.failure_rate == 0.0
