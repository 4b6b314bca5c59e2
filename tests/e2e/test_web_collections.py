"""The dashboard of a collection's analysis in real headless Chromium: the "Assistants
and models" section draws its charts (comparison, months, usage estimate), with no
console error, no foreign request and no serious accessibility violation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from convoscope_stack.stack import Stack
from tests.e2e.test_web_app import axe_scan, browser, chart_drawn, open_page, shot

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with test_web_app

DATA = Path(__file__).resolve().parents[1] / "data" / "collections"
NAMES = ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")
DESKTOP = {"width": 1280, "height": 800}


def _collection_job(browser: Any, url: str) -> str:
    """Upload the four exports, collect them, analyse (Playwright's HTTP client)."""
    context = browser.new_context()
    api = context.request
    try:
        ids = []
        for name in NAMES:
            data = (DATA / f"{name}.json").read_bytes()
            file = {"name": f"{name}.json", "mimeType": "application/json", "buffer": data}
            resp = api.post(f"{url}/api/upload", multipart={"file": file})
            assert resp.status == 200, resp.text()
            ids.append(resp.json()["file_id"])
        resp = api.post(f"{url}/api/collections", data={"name": "web", "file_ids": ids})
        cid = resp.json()["collection_id"]
        job_id: str = api.post(f"{url}/api/collections/{cid}/analysis", data={}).json()["job_id"]
        deadline = time.monotonic() + 120
        while api.get(f"{url}/api/analysis/{job_id}").json()["status"] != "complete":
            assert time.monotonic() < deadline, "the collection's analysis did not complete"
            time.sleep(0.3)
        return job_id
    finally:
        context.close()


def test_the_dashboard_compares_assistants_and_models(browser: Any, stack: Stack) -> None:
    job_id = _collection_job(browser, stack.url)
    page, watch = open_page(browser, stack, DESKTOP)
    page.goto(f"{stack.url}/?job={job_id}")
    heading = page.get_by_role("heading", name="Assistants and models", exact=True)
    heading.wait_for()
    for chart in ("compare-models", "compare-months", "usage-estimate"):
        chart_drawn(page, chart)
    card = page.locator('[data-chart="compare-models"]')
    card.locator("summary").click()
    table = card.locator("table").inner_text()
    for model in ("gpt-4o", "o3", "gpt-4o-mini", "claude: model not in export"):
        assert model in table
    assert "approximate" in page.locator('[data-chart="usage-estimate"]').inner_text()
    axe_scan(page, "collection dashboard")
    shot(page, "collection-dashboard")
    assert not watch.console_errors and not watch.page_errors, (
        watch.console_errors,
        watch.page_errors,
    )
    assert not watch.foreign(), watch.foreign()
    page.context.close()
