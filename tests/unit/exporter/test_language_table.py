"""Issue 19 in the exports: a ``languages`` table (CSV and XLSX) and coverage rows in the
summary, from the real parser and engine on the multilingual fixture."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_exporter.filtering import ExportFilter
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import render_export
from convoscope_exporter.tables import languages_table
from convoscope_ingest.parsing import parse_export

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "multilingual_conversations.json"


@pytest.fixture(scope="module")
def analysed():
    corpus = parse_export(FIXTURE.read_bytes()).corpus
    results = analyze(corpus, EngineOptions())
    manifest = build_manifest(
        results=results, export_id="exp_lang", job_id="job_lang", formats=["csv", "xlsx"],
        include_pii=False, flt=ExportFilter(), file_hash="sha256:" + "ab" * 32,
        created_at=datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    return results, corpus, manifest


def test_one_row_per_language_with_what_read_it(analysed) -> None:
    results, _corpus, _manifest = analysed
    table = languages_table(results)
    rows = {
        row[0]: dict(zip([c.name for c in table.columns], row, strict=True)) for row in table.rows
    }
    assert {"en", "ja", "zh", "ru", "ko"} <= set(rows)
    assert rows["en"]["sentiment"] == "scored"
    assert rows["ja"]["sentiment"] == "not scored"
    assert rows["ja"]["failure_cues"] == "cue file"  # ja has a cue file
    assert rows["el"]["failure_cues"] == "language-independent signals only"
    assert sum(r["user_messages"] for r in rows.values()) == sum(
        results.languages.messages.values()
    )


def test_csv_and_xlsx_carry_the_table_and_the_coverage(analysed) -> None:
    results, corpus, manifest = analysed
    (bundle,) = render_export("csv", results, corpus, manifest=manifest)
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("languages.csv").decode("utf-8-sig"))))
        summary = archive.read("summary.csv").decode("utf-8-sig")
    assert {r["language"] for r in rows} == set(results.languages.messages)
    assert "sentiment.coverage" in summary and "sentiment.not_scored.ja" in summary
    (book,) = render_export("xlsx", results, corpus, manifest=manifest)
    sheet = openpyxl.load_workbook(io.BytesIO(book.data), read_only=True)["languages"]
    header, *values = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("language", "user_messages", "conversations")
    assert len(values) == len(rows)
