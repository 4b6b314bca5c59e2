"""PDF export read back with pypdf (text extraction)."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from convoscope_exporter.render import render_export


@pytest.fixture
def pdf(results, corpus, manifest) -> pypdf.PdfReader:
    (out,) = render_export("pdf", results, corpus, manifest=manifest)
    assert out.content_type == "application/pdf"
    assert out.filename == "convoscope-job_abc.pdf"
    assert out.data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(out.data))


@pytest.fixture
def text(pdf) -> str:
    return "\n".join(page.extract_text() for page in pdf.pages)


def test_report_is_multi_page_with_every_section(pdf, text):
    assert len(pdf.pages) >= 3
    for heading in (
        "Executive summary",
        "Topics",
        "Sentiment",
        "Quality and failures",
        "Temporal patterns",
        "Privacy summary",
        "Manifest",
    ):
        assert heading in text


def test_summary_numbers_equal_results(text, results):
    assert re.search(rf"Conversations\s+{results.summary.conversations}\b", text)
    assert re.search(rf"Messages\s+{results.summary.messages}\b", text)
    assert re.search(rf"Words\s+{results.summary.words:,}", text)
    assert re.search(rf"Detected failures\s+{results.quality.failures.total}\b", text)
    assert re.search(rf"PII findings\s+{results.privacy.total}\b", text)


def test_charts_are_drawn_with_extractable_labels(text):
    for title in (
        "Conversations per topic",
        "Mean sentiment of user messages per month",
        "User messages per sentiment label per month",
        "Assistant failures per type, by severity",
        "Messages per weekday and hour",
        "Messages per day, 2024-01-15 to 2024-04-05",
        "Conversations by length",
        "Mean words per message per month, by role",
    ):
        assert title in text
    assert "Wednesday" in text  # heatmap rows exist even for weekdays without data


def test_manifest_page(text, manifest):
    assert manifest.export_id in text
    assert manifest.job_id in text
    assert manifest.engine_version in text


def test_pdf_metadata(pdf):
    assert pdf.metadata.title == "job_abc"
    assert pdf.metadata.author == "ConvoScope"


def test_non_latin_text_does_not_break_the_report(results, corpus, manifest):
    results.topics.taxonomy[0].label = "日本語のトピック 🚀 <b>&"
    (out,) = render_export("pdf", results, corpus, manifest=manifest)
    reader = pypdf.PdfReader(io.BytesIO(out.data))
    assert "Executive summary" in reader.pages[0].extract_text()
