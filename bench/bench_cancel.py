"""Cancel latency: from DELETE /api/analysis/{job_id} until the analyzer has stopped the job.

    .venv/bin/python bench/bench_cancel.py --rounds 3

Starts the whole stack (as `make run` does, on free ports), runs a long analysis,
cancels it mid-run and measures how long the analyzer takes to stop at its next
checkpoint (its counter of cancelled jobs moves; polled every 20 ms). Target
(issue 7): within 2 s. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_export import generate_claude_export

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack

TARGET_SECONDS = 2.0


def _cancelled_jobs(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith('convoscope_analyzer_jobs_total{outcome="cancelled"}'):
            return float(line.split()[-1])
    return 0.0


async def one_round(url: str, metrics_url: str, data: bytes) -> float:
    """Upload, start, wait until running, cancel; seconds until the worker has stopped."""
    async with aiohttp.ClientSession(base_url=url) as http:
        form = aiohttp.FormData()
        form.add_field("file", data, filename="export.json", content_type="application/json")
        async with http.post("/api/upload", data=form) as resp:
            file_id = (await resp.json())["file_id"]
        async with http.post("/api/analysis", json={"file_id": file_id}) as resp:
            job_id = (await resp.json())["job_id"]
        while True:
            async with http.get(f"/api/analysis/{job_id}") as resp:
                body = await resp.json()
            if body["status"] == "processing" and body["progress"] > 25:
                break
            await asyncio.sleep(0.05)
        async with http.get(metrics_url) as resp:
            before = _cancelled_jobs(await resp.text())
        started = time.perf_counter()
        async with http.delete(f"/api/analysis/{job_id}"):
            pass
        while True:
            async with http.get(metrics_url) as resp:
                if _cancelled_jobs(await resp.text()) > before:
                    return time.perf_counter() - started
            await asyncio.sleep(0.02)


async def main_async(rounds: int, conversations: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with Stack(Path(tmp), port=free_port()) as stack:
            for i in range(rounds):
                data = generate_claude_export(conversations, seed=1000 + i)
                metrics_url = f"http://127.0.0.1:{stack.metrics_ports['analyzer']}/metrics"
                latency = await one_round(stack.url, metrics_url, data)
                verdict = "met" if latency <= TARGET_SECONDS else "MISSED"
                print(
                    f"round {i + 1}: cancelled after {latency:.2f} s "
                    f"(target <= {TARGET_SECONDS:.0f} s: {verdict})",
                    flush=True,
                )


def main() -> int:
    """Run the rounds and print each latency."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conversations", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.conversations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
