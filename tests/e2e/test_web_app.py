"""The web app in real headless Chromium (Debian's package, driven by Playwright) against
the whole stack: upload the sample export -> progress -> dashboard -> click a chart ->
conversations -> one conversation -> download an export -> delete the upload.

Every page is scanned with axe-core (vendored from npm, injected by the test) for serious
or critical violations; the page must log no console error and make no request outside
its origin. Screenshots at 1280x800 and 390x844 go to tests/e2e/artifacts/web/.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from convoscope_stack.stack import Stack
from tests.e2e.helpers import DATA, REPO
from tests.export_texts import load_generator

try:
    from playwright import sync_api as playwright_api
except ImportError:  # never skipped: the web app must be tested in a real browser
    pytest.fail(
        "Playwright for Python is required (dev dependency group: `make install`)",
        pytrace=False,
    )

AXE = REPO / "tests" / "e2e" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts" / "web"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60_000  # generous: a shared 2-core CI machine can be busy


def chromium_path() -> str:
    """Debian's Chromium; the test FAILS (never skips) when it is missing."""
    for name in (os.environ.get("CHROMIUM_BIN", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    pytest.fail(
        "headless Chromium is required: apt-get install -y chromium (or set CHROMIUM_BIN)",
        pytrace=False,
    )


@dataclass
class Watch:
    """What a page did that it must not: console errors, exceptions, foreign requests."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.requests
            if not (url.startswith(self.origin + "/") or url.startswith(("data:", "blob:")))
        ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(
    browser: Any, stack: Stack, viewport: dict[str, int], color_scheme: str = "light"
) -> tuple[Any, Watch]:
    context = browser.new_context(
        viewport=viewport, accept_downloads=True, color_scheme=color_scheme
    )
    # Injected by the DevTools protocol before any page script: no request, no CSP exception.
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch = Watch(origin=stack.url)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
    page.on("request", lambda r: watch.requests.append(r.url))
    return page, watch


def axe_scan(page: Any, name: str) -> None:
    """No serious or critical accessibility violation on the page as it is now."""
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {json.dumps(bad, indent=1)}"


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def chart_drawn(page: Any, chart: str) -> None:
    """Scroll a chart into view (charts are drawn near the viewport) and wait for it."""
    page.locator(f"#chart-{chart}").scroll_into_view_if_needed()
    page.locator(f"#chart-{chart} canvas").wait_for()


def click_first_bar(page: Any, chart: str) -> None:
    """A real mouse click on the first bar of a chart (its pixel comes from ECharts)."""
    canvas = page.locator(f"#chart-{chart}")
    canvas.scroll_into_view_if_needed()
    page.wait_for_function("(id) => document.getElementById(id).chart", arg=f"chart-{chart}")
    x, y = page.evaluate(
        """(id) => {
            const el = document.getElementById(id);
            const chart = el.chart;
            const option = chart.getOption();
            const value = option.series[0].data[0];
            const v = typeof value === 'object' ? value.value : value;
            const [px, py] = chart.convertToPixel({seriesIndex: 0}, [0, v / 2]);
            const box = el.getBoundingClientRect();
            return [box.left + px, box.top + py];
        }""",
        f"chart-{chart}",
    )
    page.mouse.click(x, y)


def test_upload_watch_explore_download_delete(browser: Any, stack: Stack) -> None:
    page, watch = open_page(browser, stack, DESKTOP)
    try:
        _journey(browser, stack, page, watch)
    except Exception:
        shot(page, "failure")
        print("console errors:", watch.console_errors, "page errors:", watch.page_errors)
        print("main:", page.locator("main").inner_text()[:2000])
        raise


def _journey(browser: Any, stack: Stack, page: Any, watch: Watch) -> None:
    page.goto(stack.url + "/")
    page.get_by_role("heading", name="Analyse your conversations").wait_for()
    axe_scan(page, "upload")
    shot(page, "upload-1280")

    page.set_input_files("#file-input", str(DATA / "claude_sample.json"))
    page.locator("#found-title").wait_for()
    found = page.locator("#upload-result").inner_text()
    assert "3 conversations" in found, found
    assert page.locator("#parse-health").inner_text()
    timezone = page.locator("#opt-tz").input_value()
    assert timezone  # taken from the browser
    assert page.locator("#opt-privacy").is_checked()
    axe_scan(page, "uploaded")

    page.locator("#start").click()
    page.wait_for_url("**/?job=job_*")
    job_id = page.url.split("job=")[1].split("&")[0]
    # The live view or, for a quick job, the dashboard that replaces it in place.
    page.locator("#progress-panel, #dashboard").first.wait_for()
    page.locator("#dashboard .chart-card").first.wait_for()
    assert any("/socket.io/" in url for url in watch.requests), "progress is watched live"
    chart_drawn(page, "monthly")
    assert page.locator("#privacy-badge").inner_text() == "Redaction on"
    axe_scan(page, "dashboard")
    shot(page, "dashboard-1280")
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280-full.png"), full_page=True)

    click_first_bar(page, "monthly")
    page.wait_for_url("**d_month=*")
    first = page.locator("#drill .conv-list li a").first
    first.wait_for()
    axe_scan(page, "drill-down")
    first.click()
    page.wait_for_url("**conv=*")
    page.locator("#conversation .messages li").first.wait_for()
    conversation_url = page.url
    axe_scan(page, "conversation")
    shot(page, "conversation-1280")
    text = page.locator("#conversation").inner_text()
    assert "@" not in text or "[EMAIL" in text  # redacted text only

    page.get_by_role("button", name="← Back").click()
    page.locator("#dashboard .chart-card").first.wait_for()

    # Language coverage (issue 19): which languages were read, said in words; the table
    # (built when opened) drills down to the conversations in a language.
    languages = page.locator("[data-chart=languages]")
    assert "English" in languages.locator(".takeaway").inner_text()
    assert "Sentiment covers" in page.locator("[data-chart=sentiment] .takeaway").inner_text()
    languages.locator("summary").click()
    languages.get_by_role("button", name="English").click()
    page.wait_for_url("**d_language=en*")
    page.locator("#drill .conv-list li a").first.wait_for()
    assert "in English" in page.locator("#drill-title").inner_text()
    page.get_by_role("button", name="Close list").click()
    page.locator("#dashboard .chart-card").first.wait_for()

    # A filter redraws the whole dashboard and travels with the download.
    page.locator("#f-from").fill("2026-06-01")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**date_from=2026-06-01*")
    note = page.locator("#filtered-note")
    note.wait_for()
    assert "of 3 conversations" in note.inner_text()
    chart_drawn(page, "monthly")
    axe_scan(page, "filtered dashboard")
    with page.expect_download() as download_info:
        page.locator("button[data-format='csv']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip") or download.suggested_filename.endswith(
        ".csv"
    )
    assert Path(download.path()).stat().st_size > 0

    # Bookmarkable: the job URL alone brings the dashboard back, on a phone too.
    phone, phone_watch = open_page(browser, stack, PHONE)
    phone.goto(f"{stack.url}/?job={job_id}")
    phone.locator("#dashboard .chart-card").first.wait_for()
    chart_drawn(phone, "monthly")
    axe_scan(phone, "dashboard-phone")
    shot(phone, "dashboard-390")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
    phone.goto(conversation_url)
    phone.locator("#conversation .messages li").first.wait_for()
    axe_scan(phone, "conversation-phone")
    shot(phone, "conversation-390")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the conversation scrolls sideways on a phone ({width} px)"
    phone.context.close()

    # The same bytes again: "already uploaded", straight to its results; a bad file
    # shows the API's sentence, not a code.
    page.locator("[data-nav='upload']").click()
    page.set_input_files("#file-input", str(DATA / "claude_sample.json"))
    page.locator("#already").wait_for()
    assert "Already uploaded" in page.locator("#already").inner_text()
    page.set_input_files("#file-input", str(REPO / "tests" / "malformed" / "truncated.json"))
    problem = page.locator("#upload-status.error")
    problem.wait_for()
    assert len(problem.inner_text()) > 20 and "_" not in problem.inner_text().split()[0]
    watch.console_errors = [e for e in watch.console_errors if "status of 4" not in e]

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-nav='manage']").click()
    page.get_by_role("heading", name="My uploads & analyses").wait_for()
    page.locator("[data-delete-upload]").first.wait_for()
    axe_scan(page, "manage")
    shot(page, "manage-1280")
    page.locator("[data-delete-upload]").first.click()
    page.get_by_text("No uploads yet.").wait_for()
    page.get_by_text("No analyses yet.").wait_for()
    gone = page.request.get(f"{stack.url}/api/analysis/{job_id}")
    assert gone.status == 404

    for w in (watch, phone_watch):
        assert not w.console_errors, w.console_errors
        assert not w.page_errors, w.page_errors
        assert not w.foreign(), w.foreign()
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_bookmarked_running_job_fills_in_its_dashboard(
    browser: Any, stack: Stack, scheme: str
) -> None:
    """Open the job's URL while it runs (a reload, a shared link): progress, then the
    dashboard in place; in both colour schemes, accessible and without errors."""
    export = load_generator().generate_claude_export(300, seed=7)
    page, watch = open_page(browser, stack, DESKTOP, color_scheme=scheme)
    uploaded = page.request.post(
        f"{stack.url}/api/upload",
        multipart={
            "file": {"name": "conversations.json", "mimeType": "application/json", "buffer": export}
        },
    )
    assert uploaded.ok, uploaded.text()
    job = page.request.post(
        f"{stack.url}/api/analysis",
        data={"file_id": uploaded.json()["file_id"], "options": {"timezone": "Europe/Paris"}},
    ).json()
    page.goto(f"{stack.url}/?job={job['job_id']}")
    page.locator("#progress-panel, #dashboard").first.wait_for()
    page.locator("#dashboard .chart-card").first.wait_for(timeout=120_000)
    # Reload the finished job: how long from navigation until every chart is drawn.
    page.reload()
    page.locator("#dashboard .chart-card").first.wait_for()
    # Usable: the cards and every chart of the first screen are drawn.
    usable_ms = page.evaluate(
        """async () => {
            const visible = () => [...document.querySelectorAll('#dashboard .chart')]
                .filter(el => el.getBoundingClientRect().top < window.innerHeight);
            while (!visible().length || visible().some(el => !el.chart)) {
                await new Promise(r => setTimeout(r, 10));
            }
            return performance.now();
        }"""
    )
    print(f"\n[{scheme}] dashboard of 300 conversations usable {usable_ms:.0f} ms after navigation")
    axe_scan(page, f"dashboard ({scheme})")
    page.evaluate("document.querySelector('.cards').scrollIntoView()")
    page.evaluate("window.scrollBy(0, -70)")
    shot(page, f"dashboard-generated-{scheme}-1280")
    assert not watch.console_errors, watch.console_errors
    assert not watch.page_errors, watch.page_errors
    assert not watch.foreign(), watch.foreign()
    page.request.delete(f"{stack.url}/api/upload/{uploaded.json()['file_id']}")
    page.context.close()


def test_the_live_view_reconnects_after_a_network_blip(browser: Any, stack: Stack) -> None:
    """The gateway goes away while a job runs and comes back: the page says so, reconnects,
    subscribes again and ends on the dashboard."""
    export = load_generator().generate_claude_export(1500, seed=11)
    page, watch = open_page(browser, stack, DESKTOP)
    uploaded = page.request.post(
        f"{stack.url}/api/upload",
        multipart={
            "file": {"name": "conversations.json", "mimeType": "application/json", "buffer": export}
        },
    )
    assert uploaded.ok, uploaded.text()
    job = page.request.post(
        f"{stack.url}/api/analysis", data={"file_id": uploaded.json()["file_id"]}
    ).json()
    page.goto(f"{stack.url}/?job={job['job_id']}")
    page.locator("#progress-panel").wait_for()
    page.wait_for_function("() => document.getElementById('job-progress').value > 0")
    # The analyzer is paused for the blip, so the job cannot finish while the page is cut off.
    analyzer = stack.procs["analyzer"]
    os.kill(analyzer.pid, signal.SIGSTOP)
    try:
        gateway = stack.procs["gateway"]
        gateway.terminate()
        gateway.wait(30)
        page.get_by_text("Connection lost — reconnecting…").wait_for()
        stack.start_service("gateway")
    finally:
        os.kill(analyzer.pid, signal.SIGCONT)
    stack.wait_ready(60)
    page.locator("#dashboard .chart-card").first.wait_for(timeout=180_000)
    assert page.locator("#connection").count() == 0  # the live view made way for the results
    # While the gateway was down the browser logged its failed reconnection attempts;
    # nothing else may appear.
    others = [
        e
        for e in watch.console_errors
        if "/socket.io/" not in e and "ERR_CONNECTION_REFUSED" not in e
    ]
    assert not others, others
    assert not watch.page_errors, watch.page_errors
    assert not watch.foreign(), watch.foreign()
    page.request.delete(f"{stack.url}/api/upload/{uploaded.json()['file_id']}")
    page.context.close()


def test_cancel_stops_a_running_job(browser: Any, stack: Stack) -> None:
    export = load_generator().generate_claude_export(1200, seed=13)
    page, watch = open_page(browser, stack, DESKTOP)
    uploaded = page.request.post(
        f"{stack.url}/api/upload",
        multipart={
            "file": {"name": "conversations.json", "mimeType": "application/json", "buffer": export}
        },
    )
    job = page.request.post(
        f"{stack.url}/api/analysis", data={"file_id": uploaded.json()["file_id"]}
    ).json()
    page.goto(f"{stack.url}/?job={job['job_id']}")
    page.locator("#progress-panel").wait_for()
    analyzer = stack.procs["analyzer"]
    os.kill(analyzer.pid, signal.SIGSTOP)  # the job cannot finish before the click lands
    try:
        axe_scan(page, "progress")
        page.get_by_role("button", name="Cancel analysis").click()
        page.get_by_text("This analysis was cancelled.").wait_for()
    finally:
        os.kill(analyzer.pid, signal.SIGCONT)
    state = page.request.get(f"{stack.url}/api/analysis/{job['job_id']}").json()
    assert state["status"] == "cancelled"
    assert not watch.console_errors, watch.console_errors
    assert not watch.page_errors, watch.page_errors
    page.request.delete(f"{stack.url}/api/upload/{uploaded.json()['file_id']}")
    page.context.close()
