"""Looked at as a person would: the PDF rendered to images and read back, the HTML report in
headless Chromium at two widths. Images stay in tests/artifacts/ (gitignored) to look at.

The multilingual fixture (tests/data/multilingual_conversations.json) holds Chinese,
Japanese, Arabic, Russian, Greek and emoji titles and messages; it goes through the real
parser, engine and renderer.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_exporter.filtering import ExportFilter
from convoscope_exporter.fonts import font_set
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import render_export
from convoscope_ingest.parsing import parse_export

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "multilingual_conversations.json"
SCRIPTS = {
    "chinese": "如何学习中文语法",
    "japanese": "東京旅行の計画を立てる",
    "arabic": "مساعدة في كتابة رسالة رسمية",
    "russian": "Рецепт борща для всей семьи",
    "greek": "Ελληνική φιλοσοφία και λογική",
    "emoji": "Birthday party ideas 🎉🚀",
    "korean": "한국어 문법 공부하기",
}


def _manifest(results):
    return build_manifest(
        results=results,
        export_id="exp_visual",
        job_id="job_visual",
        formats=["pdf", "html"],
        include_pii=False,
        flt=ExportFilter(),
        file_hash="sha256:" + "cd" * 32,
        created_at=datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def multilingual():
    corpus = parse_export(FIXTURE.read_bytes()).corpus
    results = analyze(corpus, EngineOptions())
    return results, corpus, _manifest(results)


def _write(tmp_path: Path, fmt: str, results, corpus, manifest) -> Path:
    (out,) = render_export(fmt, results, corpus, manifest=manifest)
    path = tmp_path / out.filename
    path.write_bytes(out.data)
    return path


def test_fixture_holds_every_script(multilingual):
    _results, corpus, _ = multilingual
    assert [c.title for c in corpus.conversations] == list(SCRIPTS.values())


def test_every_character_has_a_real_glyph(multilingual):
    # A character no embedded font has would be drawn as .notdef (a box) while still
    # extracting as text: coverage is checked on the fonts themselves.
    _results, corpus, _ = multilingual
    fonts = font_set()
    assert fonts.cjk_file is not None, "no CJK font: apt-get install fonts-droid-fallback"
    texts = [c.title or "" for c in corpus.conversations]
    texts += [m.text for c in corpus.conversations for m in c.messages]
    missing = {
        ch
        for text in texts
        for ch in text
        if not ch.isspace() and ord(ch) not in fonts.coverage[fonts.font_for(ch)]
    }
    assert missing == set()


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_pdf_text_extracts_back_in_every_script(multilingual, visual, tmp_path, script):
    pdf = _write(tmp_path, "pdf", *multilingual)
    text = visual.pdf_text(pdf)
    assert unicodedata.normalize("NFKC", SCRIPTS[script]) in text


def test_multilingual_pdf_pages_render_and_nothing_leaves_the_page(multilingual, visual, tmp_path):
    pdf = _write(tmp_path, "pdf", *multilingual)
    pages = visual.word_boxes(pdf)
    assert len(pages) >= 3
    assert visual.outside_page(pages) == []
    images = visual.render_pages(pdf, visual.artifact_dir("pdf-multilingual"))
    assert len(images) == len(pages)
    assert all(p.stat().st_size > 2_000 for p in images)  # not blank pages


def test_sample_pdf_wide_tables_stay_on_the_page(results, corpus, manifest, visual, tmp_path):
    results.topics.learned[0].top_terms = ["extraordinarily-long-term"] * 30
    results.topics.taxonomy[0].label = "A topic label far too long to fit " * 4
    pdf = _write(tmp_path, "pdf", results, corpus, manifest)
    pages = visual.word_boxes(pdf)
    assert visual.outside_page(pages) == []
    words = " ".join(w.text for p in pages for w in p.words)
    assert words.count("extraordinarily-long-term") >= 30  # wrapped, not cut
    assert any(
        f"Page {p.number} of {len(pages)}" in " ".join(w.text for w in p.words) for p in pages
    )
    visual.render_pages(pdf, visual.artifact_dir("pdf-sample"))


def test_pdf_has_contents_with_page_numbers(multilingual, visual, tmp_path):
    pdf = _write(tmp_path, "pdf", *multilingual)
    first = " ".join(w.text for w in visual.word_boxes(pdf)[0].words)
    assert "Contents" in first
    for heading in ("Executive summary", "Sentiment", "Conversations", "Manifest"):
        assert heading in first


async def test_html_report_at_two_widths(multilingual, browser, visual, tmp_path):
    html = _write(tmp_path, "html", *multilingual)
    folder = visual.artifact_dir("html-multilingual")
    async with browser.offline_page() as page:
        await page.load(html.as_uri())
        assert page.report.problems() == []
        for width in (1280, 420):
            shot = folder / f"report-{width}.png"
            scroll_width = await page.screenshot(width, shot)
            assert shot.stat().st_size > 10_000
            # Wide tables scroll inside their box; the page itself never scrolls sideways.
            assert scroll_width <= width
        titles = await page.evaluate(
            "Array.from(document.querySelectorAll('#table-conversations td.clip'))"
            ".map(td => td.title)"
        )
        assert set(SCRIPTS.values()) <= set(titles)


def test_a_wide_table_gets_landscape_pages_and_stays_on_them(
    results, corpus, manifest, visual, tmp_path, monkeypatch
):
    from convoscope_exporter.render import pdf as pdf_module
    from convoscope_exporter.tables import conversations_table

    every = tuple(c.name for c in conversations_table(results, corpus).columns)
    monkeypatch.setattr(pdf_module, "_CONVERSATION_COLUMNS", every)  # all 21 columns
    path = _write(tmp_path, "pdf", results, corpus, manifest)
    pages = visual.word_boxes(path)
    wide = [p for p in pages if p.width > p.height]
    assert wide, "the 21-column table should be set on a landscape page"
    assert any("response_effectiveness" in "".join(w.text for w in p.words) for p in wide)
    # The heading travels with its table; the report goes back to portrait afterwards.
    assert [w.text for w in wide[0].words[:1]] == ["Conversations"]
    assert all(p.width < p.height for p in pages if p not in wide)
    # No page holds only its footer (ConvoScope report · job · Page N of M).
    assert all(len(p.words) > 8 for p in pages), [len(p.words) for p in pages]
    assert visual.outside_page(pages) == []


def test_a_wrapped_arabic_title_reads_top_to_bottom(results, corpus, manifest, visual, tmp_path):
    words = "هذا عنوان طويل جدا عن كتابة رسالة رسمية إلى مدير الشركة بخصوص الإجازة السنوية".split()
    corpus.conversations[0].title = " ".join(words * 2)
    text = visual.pdf_text(_write(tmp_path, "pdf", results, corpus, manifest))
    lines = [line.strip() for line in text.splitlines() if words[0] in line or words[-1] in line]
    first = next(i for i, line in enumerate(lines) if line.startswith(" ".join(words[:3])))
    last = max(i for i, line in enumerate(lines) if line.endswith(" ".join(words[-2:])))
    assert first < last  # the title's beginning is on an earlier line than its end
    assert " ".join(words[:4]) in lines[first]
