"""HTML export: self-contained, offline, interactive; checked statically and in Chromium."""

from __future__ import annotations

import re

import pytest

from convoscope_exporter.filtering import apply_filter, parse_filter
from convoscope_exporter.render import render_export


@pytest.fixture
def html_text(results, corpus, manifest) -> str:
    (out,) = render_export("html", results, corpus, manifest=manifest)
    assert out.content_type == "text/html; charset=utf-8"
    assert out.filename == "convoscope-job_abc.html"
    return out.data.decode("utf-8")


def test_page_references_nothing_external(html_text):
    assert "Content-Security-Policy" in html_text
    assert "default-src 'none'" in html_text
    assert not re.search(r"\bsrc\s*=", html_text)
    assert not re.search(r"<link\b", html_text, re.IGNORECASE)
    assert "@import" not in html_text
    assert "url(" not in html_text
    hrefs = re.findall(r'href="([^"]*)"', html_text)
    assert hrefs and all(h.startswith("#") for h in hrefs)
    # The only absolute URL allowed is the SVG namespace identifier (never fetched).
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html_text))
    assert urls <= {"http://www.w3.org/2000/svg"}


def test_page_escapes_text(results, corpus, manifest):
    corpus.conversations[0].title = "<script>alert(1)</script>"
    (out,) = render_export("html", results, corpus, manifest=manifest)
    text = out.data.decode("utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_page_carries_manifest_and_every_section(html_text, manifest):
    for section in (
        "summary",
        "topics",
        "sentiment",
        "quality",
        "temporal",
        "privacy",
        "conversations",
        "manifest",
    ):
        assert f'<section id="{section}">' in html_text
    assert manifest.export_id in html_text
    assert manifest.file_hash in html_text


async def test_page_renders_offline_without_errors(browser, html_text, results, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(html_text, encoding="utf-8")
    async with browser.offline_page() as page:
        await page.load(path.as_uri())
        assert page.report.problems() == []
        assert page.report.requests == [path.as_uri()]
        assert await page.evaluate("document.body.dataset.ready") == "true"
        assert await page.evaluate("document.querySelectorAll('svg.chart').length") == 8
        rows = await page.evaluate(
            "document.querySelectorAll('#table-conversations tbody tr').length"
        )
        assert rows == results.summary.conversations
        cards = await page.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('.card')).map("
            "c => [c.querySelector('.label').textContent, c.querySelector('.value').textContent]))"
        )
        assert cards["Messages"] == str(results.summary.messages)
        assert cards["Conversations"] == str(results.summary.conversations)
        assert cards["Detected failures"] == str(results.quality.failures.total)


async def test_tables_sort_and_filter_and_charts_respond(browser, html_text, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(html_text, encoding="utf-8")
    async with browser.offline_page() as page:
        await page.load(path.as_uri())
        column = await page.evaluate(
            "Array.from(document.querySelectorAll('#table-conversations th'))"
            ".findIndex(th => th.textContent === 'messages')"
        )
        read = (
            "Array.from(document.querySelectorAll('#table-conversations tbody tr'))"
            f".filter(r => !r.hidden).map(r => Number(r.cells[{column}].dataset.value))"
        )
        await page.evaluate(
            f"document.querySelectorAll('#table-conversations th')[{column}].click()"
        )
        assert await page.evaluate(read) == [0, 2, 2, 4, 4, 6]
        await page.evaluate(
            f"document.querySelectorAll('#table-conversations th')[{column}].click()"
        )
        assert await page.evaluate(read) == [6, 4, 4, 2, 2, 0]
        visible = await page.evaluate(
            "(() => { const i = document.querySelector('input[data-table=table-conversations]');"
            " i.value = 'conv-sql'; i.dispatchEvent(new Event('input'));"
            " return Array.from(document.querySelectorAll('#table-conversations tbody tr'))"
            ".filter(r => !r.hidden).map(r => r.cells[0].textContent); })()"
        )
        assert visible == ["conv-sql"]

        tip = await page.evaluate(
            "(() => { const m = document.querySelector('svg[data-chart=topic_distribution] .mark');"
            " m.dispatchEvent(new MouseEvent('mousemove',"
            " {clientX: 10, clientY: 10, bubbles: true}));"
            " const t = document.getElementById('tooltip');"
            " return [t.style.display, t.textContent]; })()"
        )
        assert tip == ["block", "Programming - conversations: 2"]
        hidden = await page.evaluate(
            "(() => { const svg = document.querySelector('svg[data-chart=failures_by_severity]');"
            " svg.querySelector('.legend-item[data-series=high]')"
            ".dispatchEvent(new MouseEvent('click'));"
            " return [svg.querySelectorAll('.mark.hidden').length,"
            " svg.querySelectorAll('.mark[data-series=high]').length]; })()"
        )
        assert hidden[0] == hidden[1] > 0
        assert page.report.problems() == []


async def test_filtered_page_renders_offline(browser, results, corpus, manifest, tmp_path):
    # A filter that leaves no failures, topics or sentiment must still render cleanly.
    fres, fcorp = apply_filter(results, corpus, parse_filter({"conversation_ids": ["conv-empty"]}))
    (out,) = render_export("html", fres, fcorp, manifest=manifest)
    path = tmp_path / "filtered.html"
    path.write_bytes(out.data)
    async with browser.offline_page() as page:
        await page.load(path.as_uri())
        assert page.report.problems() == []
        rows = await page.evaluate(
            "document.querySelectorAll('#table-conversations tbody tr').length"
        )
        assert rows == 1
