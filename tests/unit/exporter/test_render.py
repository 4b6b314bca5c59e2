"""render_export dispatch, file naming, JSON export, manifest and the one-call pipeline."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime

import msgspec
import openpyxl
import pypdf
import pytest

from convoscope_exporter.errors import InvalidFilterError, UnsupportedExportFormatError
from convoscope_exporter.filtering import ExportFilter, apply_filter, parse_filter
from convoscope_exporter.manifest import ExportManifest, build_manifest, manifest_rows
from convoscope_exporter.pipeline import export_request, prepare_export
from convoscope_exporter.render import SUPPORTED_FORMATS, render_export
from convoscope_exporter.render.files import safe_stem
from convoscope_exporter.render.html import table_html
from convoscope_exporter.tables import conversations_table
from tests.unit.cli.helpers import render_one_by_one


def test_unknown_format_is_a_typed_error(results, corpus, manifest):
    with pytest.raises(UnsupportedExportFormatError) as info:
        render_export("docx", results, corpus, manifest=manifest)
    assert info.value.fmt == "docx"
    assert info.value.code == "unsupported_export_format"


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        ("job_abc", "convoscope-job_abc"),
        ("../../etc/passwd", "convoscope-etc_passwd"),
        ("a b/c\\d\x00é", "convoscope-a_b_c_d"),
        ("...", "convoscope-export"),
    ],
)
def test_file_names_are_safe(job_id, expected):
    stem = safe_stem(job_id)
    assert stem == expected
    assert all(ch.isalnum() or ch in "._-" for ch in stem)


def test_json_export_has_manifest_and_results(results, corpus, manifest):
    (out,) = render_export("json", results, corpus, manifest=manifest)
    assert out.content_type == "application/json"
    data = json.loads(out.data)
    assert data["manifest"]["export_id"] == "exp_42"
    assert data["results"]["summary"]["messages"] == results.summary.messages
    assert len(data["results"]["quality"]["failures"]["findings"]) == 5


def test_manifest_records_filter_and_recomputation(results):
    flt = parse_filter({"roles": ["user"]})
    manifest = build_manifest(
        results=results, export_id="e", job_id="j", formats=["csv"], include_pii=True, flt=flt
    )
    assert manifest.filter_applied
    assert "summary" in manifest.recomputed_aggregates
    # Streaks are recounted from the kept messages; per-conversation qualities are not.
    assert "temporal.streaks" in manifest.recomputed_aggregates
    assert any(a.startswith("quality.conversations") for a in manifest.whole_corpus_aggregates)
    assert manifest.options.include_pii is True
    assert manifest.created_at.tzinfo is not None
    decoded = msgspec.json.decode(msgspec.json.encode(manifest), type=ExportManifest)
    assert decoded.filter.roles == ["user"]
    rows = dict(manifest_rows(manifest))
    assert rows["filter.roles"] == "user"
    unfiltered = build_manifest(
        results=results,
        export_id="e",
        job_id="j",
        formats=["csv"],
        include_pii=False,
        flt=ExportFilter(),
    )
    assert not unfiltered.filter_applied and unfiltered.recomputed_aggregates == []


def test_pipeline_rejects_bad_requests_before_rendering(results, corpus):
    with pytest.raises(UnsupportedExportFormatError):
        prepare_export(
            export_request(["csv", "doc"], export_id="e", job_id="j", include_pii=False),
            results,
            corpus,
        )
    with pytest.raises(InvalidFilterError):
        prepare_export(
            export_request(
                ["csv"],
                export_id="e",
                job_id="j",
                include_pii=False,
                raw_filter={"roles": ["robot"]},
            ),
            results,
            corpus,
        )


def test_filter_applies_consistently_to_every_format(results, corpus):
    """One filter, five formats: every file reports the same filtered counts."""
    files = render_one_by_one(
        list(SUPPORTED_FORMATS),
        results,
        corpus,
        export_id="e1",
        job_id="job-1",
        include_pii=False,
        raw_filter={"date_from": "2024-02-01", "date_to": "2024-02-29"},
        created_at=datetime(2024, 6, 1, tzinfo=UTC),
    )
    by_ext = {f.filename.rsplit(".", 1)[1]: f for f in files}
    assert set(by_ext) == {"zip", "xlsx", "pdf", "html", "json"}
    expected_messages, expected_failures = 8, 2

    archive = zipfile.ZipFile(io.BytesIO(by_ext["zip"].data))
    assert archive.read("messages.csv").decode().count("\r\nconv-") == expected_messages
    assert archive.read("failures.csv").decode().count("\r\nf") == expected_failures
    assert json.loads(archive.read("manifest.json"))["filter"] == {
        "date_from": "2024-02-01",
        "date_to": "2024-02-29",
    }

    book = openpyxl.load_workbook(io.BytesIO(by_ext["xlsx"].data))
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["messages"] == expected_messages
    assert book["messages"].max_row - 1 == expected_messages
    assert book["failures"].max_row - 1 == expected_failures

    pdf_text = "\n".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(by_ext["pdf"].data)).pages
    )
    assert re.search(rf"Messages\s+{expected_messages}\b", pdf_text)
    assert "A filter was applied" in pdf_text

    html = by_ext["html"].data.decode()
    assert f'<div class="value">{expected_messages}</div><div class="label">Messages<' in html

    data = json.loads(by_ext["json"].data)
    assert data["results"]["summary"]["messages"] == expected_messages
    assert data["manifest"]["filter_applied"] is True


def _bare_results(results):
    # What an analysis with quality, temporal, privacy and visualisations switched off leaves.
    return msgspec.structs.replace(
        results, topics=None, sentiment=None, quality=None, temporal=None, privacy=None
    )


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_every_format_renders_without_optional_sections(fmt, results, corpus, manifest):
    (out,) = render_export(fmt, _bare_results(results), corpus, manifest=manifest)
    assert len(out.data) > 0


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_every_format_renders_an_empty_corpus(fmt, results, corpus, manifest):
    fres, fcorp = apply_filter(results, corpus, parse_filter({"conversation_ids": ["none"]}))
    assert fcorp.conversations == [] and fres.summary.messages == 0
    (out,) = render_export(fmt, fres, fcorp, manifest=manifest)
    assert len(out.data) > 0


def test_html_tables_are_capped_with_a_note(results, corpus):
    table = conversations_table(results, corpus)
    html = table_html(table, max_rows=2)
    assert html.count("<tr>") == 3  # header + 2 rows
    assert "First 2 of 6 rows" in html
    assert "First" not in table_html(table)
