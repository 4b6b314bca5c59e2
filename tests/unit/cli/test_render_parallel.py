"""Formats rendered in forked worker processes are exactly what the exporter renders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convoscope_analyzer.pipeline import PipelineOutput, run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_cli.render import can_fork, render_reports
from convoscope_common.options import AnalysisOptions
from convoscope_exporter.errors import InvalidFilterError, UnsupportedExportFormatError
from convoscope_ingest.parsing import parse_export
from tests.unit.cli.helpers import DATA, comparable, render_one_by_one

FORMATS = ["html", "xlsx", "pdf", "csv", "json"]
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module", params=["claude_sample.json", "chatgpt_sample.json"])
def analysed(request: pytest.FixtureRequest) -> PipelineOutput:
    corpus = parse_export((DATA / request.param).read_bytes()).corpus
    return run_pipeline(corpus, AnalysisOptions(), PrivacyConfig())


@pytest.mark.skipif(not can_fork(), reason="rendering processes are forked (Linux)")
@pytest.mark.parametrize("raw_filter", [None, {"roles": ["user"]}])
def test_parallel_rendering_equals_the_exporter(
    analysed: PipelineOutput, raw_filter: dict[str, object] | None
) -> None:
    kwargs = dict(
        job_id="local",
        export_id="local",
        include_pii=False,
        raw_filter=raw_filter,
        file_hash="sha256:abc",
        created_at=CREATED,
    )
    expected = render_one_by_one(FORMATS, analysed.results, analysed.redacted_corpus, **kwargs)  # type: ignore[arg-type]
    seen: list[tuple[str, int, int]] = []
    got = render_reports(
        FORMATS,
        analysed.results,
        analysed.redacted_corpus,
        jobs=3,
        on_rendered=lambda fmt, done, total: seen.append((fmt, done, total)),
        **kwargs,  # type: ignore[arg-type]
    )
    assert [f.filename for f in got] == [f.filename for f in expected]
    for ours, theirs, fmt in zip(got, expected, FORMATS, strict=True):
        assert ours.content_type == theirs.content_type
        assert comparable(fmt, ours.data) == comparable(fmt, theirs.data), fmt
    assert sorted(f for f, _, _ in seen) == sorted(FORMATS)
    assert [done for _, done, _ in seen] == [1, 2, 3, 4, 5]


def test_one_job_renders_in_this_process(analysed: PipelineOutput) -> None:
    got = render_reports(
        ["json", "csv"],
        analysed.results,
        analysed.redacted_corpus,
        job_id="local",
        export_id="local",
        include_pii=False,
        created_at=CREATED,
        jobs=1,
    )
    expected = render_one_by_one(
        ["json", "csv"],
        analysed.results,
        analysed.redacted_corpus,
        export_id="local",
        job_id="local",
        include_pii=False,
        created_at=CREATED,
    )
    assert [f.data for f in got] == [f.data for f in expected]


def test_bad_format_and_filter_fail_before_rendering(analysed: PipelineOutput) -> None:
    common = dict(job_id="local", export_id="local", include_pii=False, jobs=2)
    with pytest.raises(UnsupportedExportFormatError):
        render_reports(["docx"], analysed.results, analysed.redacted_corpus, **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidFilterError):
        render_reports(
            ["json"],
            analysed.results,
            analysed.redacted_corpus,
            raw_filter={"roles": "user"},
            **common,  # type: ignore[arg-type]
        )
