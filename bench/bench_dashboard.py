"""How soon the web app's dashboard is usable, in real headless Chromium, for a large
analysis on a running stack.

Starts nothing itself but the browser. With ``--file`` it uploads and analyses that
export first (through the public API), with the page open on the running job, and
prints how long after the job finished (``finished_at``) the dashboard showed its
cards (results ready -> cards: the complete event, the light document's first build in
the gateway, the page's request and drawing). With ``--job`` it opens an analysis that
is already complete. Then, ``--runs`` times in fresh pages, it opens ``/?job=<id>`` and
prints, in seconds from the start of navigation:

- the page's own modules loaded (the last first-party script's response),
- the light results document received (``GET /api/analysis/{id}``, response end),
- the summary cards in the page (the light results document fetched and drawn),
- the first chart drawn (an ECharts canvas in the page),

read with the page's own clock (a MutationObserver installed before its scripts), and
the cards as the driver saw them (its polling and IPC included: slower on a busy
machine).

The first run is a cold page (nothing cached), the others reuse the browser's cache.

    python bench/bench_dashboard.py --url http://127.0.0.1:5000 --file conversations.json
    python bench/bench_dashboard.py --url http://127.0.0.1:5000 --job job_...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from playwright.sync_api import sync_playwright

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def _start(url: str, data: bytes, filename: str) -> tuple[str, int]:
    timeout = aiohttp.ClientTimeout(total=None, sock_read=3600)
    async with aiohttp.ClientSession(url, timeout=timeout) as http:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=filename)
        async with http.post("/api/upload", data=form) as resp:
            uploaded: dict[str, Any] = await resp.json()
            if resp.status != 200:
                raise SystemExit(f"upload failed: {uploaded}")
        async with http.post("/api/analysis", json={"file_id": uploaded["file_id"]}) as resp:
            job: dict[str, Any] = await resp.json()
        return job["job_id"], int(uploaded["metadata"]["messages"])


def _finished_at(url: str, job_id: str) -> datetime:
    # Plain urllib: Playwright's sync API runs its own event loop in this thread.
    with urllib.request.urlopen(f"{url}/api/analysis/{job_id}") as resp:
        state: dict[str, Any] = json.load(resp)
    if state["status"] != "complete":
        raise SystemExit(f"analysis ended {state['status']}")
    return datetime.fromisoformat(state["finished_at"])


# Installed before the page's own scripts: note when the cards and the first chart
# canvas enter the document (ms from navigation start, the page's own clock, so the
# driver's polling and IPC on a busy machine are not counted).
WATCH = """
new MutationObserver((_records, observer) => {
    if (!window.__cards && document.querySelector('.cards')) window.__cards = performance.now();
    if (!window.__chart && document.querySelector('canvas')) window.__chart = performance.now();
    if (window.__cards && window.__chart) observer.disconnect();
}).observe(document, { childList: true, subtree: true });
"""

# Times (ms from navigation) read from the page's Performance API.
TIMINGS = r"""() => {
    const entries = performance.getEntriesByType('resource');
    const mine = entries.filter((e) => e.name.includes('/assets/') && e.name.endsWith('.js')
        && !e.name.includes('/vendor/'));
    const doc = entries.find((e) => /\/api\/analysis\/[^/?]+$/.test(e.name));
    return {
        modules: Math.max(0, ...mine.map((e) => e.responseEnd)),
        document: doc ? doc.responseEnd : null,
        cards: window.__cards,
        chart: window.__chart,
        origin: performance.timeOrigin,
    };
}"""


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--job")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium")
    messages = 0
    if args.file:
        data = args.file.read_bytes()
        job_id, messages = asyncio.run(_start(args.url, data, args.file.name))
        del data
    elif args.job:
        job_id = args.job
    else:
        raise SystemExit("--job or --file")
    print(f"job {job_id} ({messages:,} messages)" if messages else f"job {job_id}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            if args.file:
                # The page watches the running job, as a person would, until the cards show.
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.add_init_script(WATCH)
                page.goto(f"{args.url}/?job={job_id}")
                page.wait_for_selector(".cards", timeout=3_600_000)
                marks = page.evaluate(TIMINGS)
                shown = datetime.fromtimestamp((marks["origin"] + marks["cards"]) / 1000, UTC)
                ready = (shown - _finished_at(args.url, job_id)).total_seconds()
                print(f"results ready (finished_at) -> cards on the watching page: {ready:.2f} s")
                page.close()
            print(
                f"{'run':>4} {'modules (s)':>12} {'document (s)':>13} {'cards (s)':>10} "
                f"{'first chart (s)':>16} {'cards, driver (s)':>18}"
            )
            for run in range(1, args.runs + 1):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.add_init_script(WATCH)
                started = time.perf_counter()
                page.goto(f"{args.url}/?job={job_id}", wait_until="commit")
                page.wait_for_selector(".cards", timeout=120_000)
                cards = time.perf_counter() - started
                page.wait_for_selector("canvas", timeout=120_000)
                marks = page.evaluate(TIMINGS)
                document = (marks["document"] or 0) / 1000
                print(
                    f"{run:>4} {marks['modules'] / 1000:>12.2f} {document:>13.2f} "
                    f"{marks['cards'] / 1000:>10.2f} {marks['chart'] / 1000:>16.2f} {cards:>18.2f}"
                )
                page.close()
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
