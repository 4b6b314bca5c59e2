"""XLSX export read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from convoscope_exporter.render import render_export
from convoscope_exporter.render.xlsx import EXCEL_MAX_CELL_CHARS, render_xlsx
from convoscope_exporter.text_limits import TRUNCATION_MARKER

REQUIRED_SHEETS = [
    "summary",
    "conversations",
    "messages",
    "topics",
    "sentiment",
    "failures",
    "quality",
    "temporal",
    "privacy",
    "manifest",
]


@pytest.fixture
def xlsx_bytes(results, corpus, manifest) -> bytes:
    (out,) = render_export("xlsx", results, corpus, manifest=manifest)
    assert out.content_type == ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert out.filename == "convoscope-job_abc.xlsx"
    return out.data


@pytest.fixture
def book(xlsx_bytes):
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes))


def _records(sheet) -> list[dict[str, object]]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def test_required_sheets_exist(book):
    assert set(REQUIRED_SHEETS) <= set(book.sheetnames)


def test_summary_numbers_equal_results(book, results):
    values = {r["metric"]: r["value"] for r in _records(book["summary"])}
    assert values["messages"] == results.summary.messages
    assert values["conversations"] == results.summary.conversations
    assert values["words"] == results.summary.words
    assert isinstance(values["messages"], int | float)
    assert values["failures.rate"] == pytest.approx(results.quality.failures.failure_rate)


def test_messages_sheet_has_real_dates_and_numbers(book, corpus):
    records = _records(book["messages"])
    assert len(records) == sum(len(c.messages) for c in corpus.conversations)
    first = records[0]
    assert isinstance(first["created_at"], datetime)
    assert first["created_at"] == datetime(2024, 1, 15, 10, 0)
    assert isinstance(first["words"], int)


def test_long_text_is_cut_with_a_marker(book):
    cell = next(r["text"] for r in _records(book["messages"]) if r["message_id"] == "conv-email-m3")
    assert len(cell) == EXCEL_MAX_CELL_CHARS
    assert cell.endswith(TRUNCATION_MARKER)
    notes = [r["value"] for r in _records(book["manifest"]) if str(r["key"]).startswith("note.")]
    assert any("messages" in n and "cut" in n for n in notes)


def test_failures_one_row_per_finding_and_per_type(book, results):
    findings = results.quality.failures.findings
    assert [r["failure_id"] for r in _records(book["failures"])] == [f.id for f in findings]
    types = _records(book["failure_types"])
    grid = results.quality.failures.by_type_and_severity
    assert sum(r["failures"] for r in types) == results.quality.failures.total
    assert {(r["type"], r["severity"]) for r in types} == {
        (t, s) for t, by_sev in grid.items() for s in by_sev
    }


def test_topics_one_row_per_topic(book, results):
    ids = [r["topic_id"] for r in _records(book["topics"])]
    assert ids == [t.id for t in [*results.topics.taxonomy, *results.topics.learned]]


def test_temporal_sheet_has_real_dates(book, results):
    records = _records(book["temporal"])
    assert len(records) == len(results.temporal.calendar)
    assert isinstance(records[0]["date"], datetime)
    assert records[0]["date"].date().isoformat() == results.temporal.calendar[0].date


def test_headers_frozen_and_filtered(book):
    for name in ("messages", "conversations", "failures", "topics"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref, name


def test_native_charts_present(xlsx_bytes):
    names = zipfile.ZipFile(io.BytesIO(xlsx_bytes)).namelist()
    charts = [n for n in names if n.startswith("xl/charts/chart")]
    assert len(charts) == 3


def test_manifest_sheet(book, manifest):
    values = {r["key"]: r["value"] for r in _records(book["manifest"])}
    assert values["export_id"] == manifest.export_id
    assert values["job_id"] == manifest.job_id
    assert values["engine_version"] == manifest.engine_version
    assert values["options.include_pii"] == "False"


def test_text_is_never_turned_into_a_formula(results, corpus, manifest):
    corpus.conversations[0].messages[0].text = '=HYPERLINK("http://evil","x")'
    (out,) = render_export("xlsx", results, corpus, manifest=manifest)
    sheet = openpyxl.load_workbook(io.BytesIO(out.data))["messages"]
    cell = next(r for r in _records(sheet) if r["message_id"] == "conv-py-m0")
    assert cell["text"].startswith("=HYPERLINK")
    raw = zipfile.ZipFile(io.BytesIO(out.data)).read("xl/worksheets/sheet3.xml")
    assert b"<f>" not in raw


def test_row_limit_is_respected_and_noted(results, corpus, manifest):
    (out,) = render_xlsx(results, corpus, manifest=manifest, max_rows=5)
    book = openpyxl.load_workbook(io.BytesIO(out.data))
    assert len(_records(book["messages"])) == 5
    notes = [r["value"] for r in _records(book["manifest"]) if str(r["key"]).startswith("note.")]
    assert any(n.startswith("messages: first 5 of 18 rows") for n in notes)
