"""The share-safe report holds no message text and no title of the input, and hides small
cells: scanned in the HTML text and in the PDF's text (pdftotext)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.errors import UnsupportedExportFormatError
from convoscope_exporter.pipeline import export_request, prepare_export
from convoscope_exporter.share_safe import build_report
from convoscope_ingest.merge import merge_corpora
from convoscope_ingest.parsing import parse_export

DATA = Path(__file__).resolve().parents[2] / "data" / "collections"
NAMES = ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")
# Made-up words that occur only in the messages and titles of the hand-made exports.
INVENTED = (
    "zephyrine",
    "quillbrown",
    "marmalix",
    "brontavel",
    "vellichor",
    "grimbleton",
    "quokkaline",
    "snorvex",
)


@pytest.fixture(scope="module")
def analysed() -> tuple[AnalysisResults, Corpus]:
    corpus = merge_corpora([parse_export((DATA / f"{n}.json").read_bytes()).corpus for n in NAMES])
    return analyze(corpus, EngineOptions()), corpus


def _files(analysed: tuple[AnalysisResults, Corpus], k: int = 5) -> dict[str, bytes]:
    results, corpus = analysed
    prepared = prepare_export(
        export_request(
            ["html", "pdf"], export_id="e", job_id="job_x", include_pii=False, share_safe_k=k
        ),
        results,
        corpus,
    )
    return {
        f.filename.rsplit(".", 1)[1]: f.data
        for fmt in prepared.formats
        for f in prepared.render(fmt)
    }


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


def _html_text(data: bytes) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", data.decode("utf-8")))


def _assert_nothing_of(text: str, corpus: Corpus) -> None:
    flat = " ".join(text.split()).lower()
    for conversation in corpus.conversations:
        assert conversation.title and conversation.title.lower() not in flat
        for message in conversation.messages:
            assert " ".join(message.text.split()).lower() not in flat
    for word in INVENTED:
        assert word not in flat, word


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_no_text_and_no_title_reaches_the_html_or_the_pdf(
    analysed: tuple[AnalysisResults, Corpus], tmp_path: Path
) -> None:
    files = _files(analysed)
    html, pdf = _html_text(files["html"]), _pdf_text(files["pdf"], tmp_path)
    for text in (html, pdf):
        assert "share-safe" in text
        assert "Assistants and models" in text and "estimate" in text
        _assert_nothing_of(text, analysed[1])
    # The full report of the same analysis does show them (the scan can fail).
    results, corpus = analysed
    full = prepare_export(
        export_request(["html"], export_id="e", job_id="j", include_pii=False), results, corpus
    )
    assert "quokkaline" in _html_text(full.render("html")[0].data).lower()


def test_small_cells_are_hidden(analysed: tuple[AnalysisResults, Corpus]) -> None:
    report = build_report(analysed[0], k=5)
    cells = [v for s in report.sections for row in s.rows for v in row]
    overview = {row[0]: row[1] for row in report.sections[0].rows}
    assert overview["Conversations"] == "6"
    assert overview["Months with activity"] == "< 5"  # January, February, March
    assert "< 5" in cells
    # No number below 5 is shown as itself in a count column.
    for section in report.sections:
        for row in section.rows:
            for value in row[1:]:
                if re.fullmatch(r"[0-4]", value):
                    pytest.fail(f"{section.title}: small count {value} shown in {row}")


def test_k_is_configurable_and_other_formats_are_refused(
    analysed: tuple[AnalysisResults, Corpus],
) -> None:
    relaxed = build_report(analysed[0], k=2)
    strict = build_report(analysed[0], k=50)
    shown = lambda r: sum(v.startswith("<") for s in r.sections for row in s.rows for v in row)  # noqa: E731
    assert shown(relaxed) < shown(strict)
    results, corpus = analysed
    with pytest.raises(UnsupportedExportFormatError):
        prepare_export(
            export_request(["csv"], export_id="e", job_id="j", include_pii=False, share_safe_k=5),
            results,
            corpus,
        )
