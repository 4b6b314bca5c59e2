"""How soon the web app's dashboard is usable, in real headless Chromium, for a large
analysis on a running stack.

Starts nothing itself but the browser. With ``--file`` it uploads and analyses that
export first (through the public API); with ``--job`` it opens an analysis that is
already complete. Then, three times in fresh pages, it opens ``/?job=<id>`` and prints:

- the summary cards visible (the light results document fetched and drawn),
- the first chart drawn (an ECharts canvas in the page),

each in seconds from the start of navigation.

    python bench/bench_dashboard.py --url http://127.0.0.1:5000 --file conversations.json
    python bench/bench_dashboard.py --url http://127.0.0.1:5000 --job job_...
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
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


async def _analyse(url: str, data: bytes, filename: str) -> tuple[str, int]:
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
        while True:
            async with http.get(f"/api/analysis/{job['job_id']}") as resp:
                state: dict[str, Any] = await resp.json()
            if state.get("status") in ("complete", "failed", "cancelled"):
                break
            await asyncio.sleep(1)
        if state["status"] != "complete":
            raise SystemExit(f"analysis ended {state['status']}")
        return job["job_id"], int(uploaded["metadata"]["messages"])


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--job")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    messages = 0
    if args.file:
        job_id, messages = asyncio.run(_analyse(args.url, args.file.read_bytes(), args.file.name))
    elif args.job:
        job_id = args.job
    else:
        raise SystemExit("--job or --file")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium")
    print(f"job {job_id} ({messages:,} messages)" if messages else f"job {job_id}")
    print(f"{'run':>4} {'cards (s)':>10} {'first chart (s)':>16}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            for run in range(1, args.runs + 1):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                started = time.perf_counter()
                page.goto(f"{args.url}/?job={job_id}", wait_until="commit")
                page.wait_for_selector(".cards", timeout=120_000)
                cards = time.perf_counter() - started
                page.wait_for_selector("canvas", timeout=120_000)
                chart = time.perf_counter() - started
                print(f"{run:>4} {cards:>10.2f} {chart:>16.2f}")
                page.close()
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
