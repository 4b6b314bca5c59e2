"""The browser probe itself must catch what the HTML test relies on it to catch."""

from __future__ import annotations


async def test_probe_reports_errors_and_network_requests(browser, tmp_path):
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><body><script>"
        "console.error('boom');"
        "fetch('http://203.0.113.7/x').catch(function () {});"
        "undefinedFunction();"
        "</script></body></html>",
        encoding="utf-8",
    )
    async with browser.offline_page() as page:
        await page.load(page_file.as_uri())
        # Events may trail the load event on a busy machine: wait for all three.
        await page.wait_until(
            lambda r: bool(r.console_errors and r.exceptions and len(r.requests) > 1)
        )
        report = page.report
    assert any("boom" in e for e in report.console_errors), report
    assert any("undefinedFunction" in e for e in report.exceptions), report
    assert any(url.startswith("http://203.0.113.7") for url in report.requests), report
