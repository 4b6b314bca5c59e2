"""The web app on a server with API keys: the page asks for a key, keeps it in the tab's
session storage, sends it in a header (and to Socket.IO), never in a URL."""

from __future__ import annotations

from typing import Any

from convoscope_stack.stack import Stack
from tests.e2e.helpers import DATA
from tests.e2e.test_web_app import DESKTOP, axe_scan, browser, open_page

__all__ = ["browser"]  # the module-scoped browser fixture of the web app test

KEY = "web-test-key-3f9a"
STACK_ENV = {"CONVOSCOPE_API_KEYS": f"{KEY},another-key"}


def test_the_page_asks_for_a_key_and_keeps_it_out_of_urls(browser: Any, stack: Stack) -> None:
    page, watch = open_page(browser, stack, DESKTOP)
    page.goto(stack.url + "/")
    page.get_by_role("heading", name="Analyse your conversations").wait_for()
    page.set_input_files("#file-input", str(DATA / "claude_sample.json"))
    dialog = page.locator("#key-dialog")
    dialog.wait_for()  # the API answered 401: the page asks
    axe_scan(page, "key dialog")
    page.locator("#key-input").fill(KEY)
    page.get_by_role("button", name="Use key").click()
    # Stored once the page has taken the key (its handler may await the API first).
    page.wait_for_function(f"() => sessionStorage.getItem('convoscope.apiKey') === '{KEY}'")
    assert page.evaluate("() => sessionStorage.getItem('convoscope.apiKey')") == KEY
    page.set_input_files("#file-input", str(DATA / "claude_sample.json"))
    page.locator("#found-title").wait_for()
    page.locator("#start").click()
    page.wait_for_url("**/?job=job_*")
    page.locator("#dashboard .chart-card").first.wait_for()
    # Another key sees nothing of it.
    other = page.request.get(f"{stack.url}/api/uploads", headers={"X-API-Key": "another-key"})
    assert other.json()["total"] == 0
    assert all(KEY not in url for url in watch.requests), "the key never goes into a URL"
    assert any("/socket.io/" in url for url in watch.requests)
    problems = [e for e in watch.console_errors if "401" not in e]  # the first, refused upload
    assert not problems, problems
    assert not watch.page_errors, watch.page_errors
    assert not watch.foreign(), watch.foreign()
    page.context.close()
