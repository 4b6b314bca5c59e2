"""Chaos run (issue 11): SIGKILL analyzers at random points while a stream of jobs runs.

The real processes of ``make run`` (a Stack with two analyzer replicas and a short
``ack_wait``) analyse ``--jobs`` jobs (the same upload with a different timezone each,
so none is a cache hit) while, at random moments, a randomly chosen busy analyzer is
SIGKILLed and started again (``--kills`` times) or SIGSTOPped past ``ack_wait`` and
resumed (``--pauses`` times). A Socket.IO client follows every job. The table counts:

- submitted, completed, failed (with their error codes);
- lost: jobs with no final state when the run ends (must be 0);
- duplicate terminal events: more than one complete/error/cancelled for a job (0);
- non-monotone progress: a job whose progress events went backwards (0);
- status changes after a terminal state, seen by polling (0).

Figures: wall time, and with ``--baseline`` the same jobs on an undisturbed stack
(the yardstick: the chaos run's time as a multiple of it).

    python bench/chaos.py                    # 20 jobs, 6 kills, 5 pauses, with the baseline
    python bench/chaos.py --jobs 40 --kills 12 --pauses 8 --no-baseline
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack

HERE = Path(__file__).resolve().parent
TIMEZONES = [
    "UTC", "Europe/Paris", "Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Rome",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Singapore",
    "Australia/Sydney", "Africa/Cairo", "Africa/Lagos", "Pacific/Auckland", "Asia/Dubai",
    "Europe/Warsaw", "Europe/Oslo", "America/Toronto", "America/Mexico_City", "Asia/Seoul",
    "Asia/Jakarta", "Europe/Athens", "Europe/Lisbon", "America/Lima", "Asia/Bangkok",
    "Europe/Dublin", "Europe/Vienna", "Europe/Prague", "Europe/Zurich", "Asia/Manila",
    "America/Bogota", "Africa/Nairobi", "Asia/Karachi", "Asia/Tehran", "Europe/Helsinki",
]  # fmt: skip
TERMINAL = ("complete", "error", "cancelled")
ACK_WAIT = 2.0
PAUSE = 3 * ACK_WAIT  # a SIGSTOP this long loses the job to the other replica
# The observer polls every job twice a second: far above the per-client rate limit,
# which is not what this suite measures.
ENV = {
    "CONVOSCOPE_ACK_WAIT": f"{ACK_WAIT:g}",
    "CONVOSCOPE_LOG_LEVEL": "INFO",
    "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "0",
}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_export", HERE / "generate_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Report:
    """What one run observed."""

    submitted: int = 0
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicates: int = 0
    non_monotone: int = 0
    left_terminal: int = 0
    kills: int = 0
    pauses: int = 0
    seconds: float = 0.0

    def rows(self) -> list[tuple[str, str]]:
        failed = ", ".join(f"{code} {n}" for code, n in sorted(self.failed.items())) or "-"
        return [
            ("submitted", str(self.submitted)),
            ("completed", str(self.completed)),
            ("failed (reason)", f"{sum(self.failed.values())} ({failed})"),
            ("lost", str(self.lost)),
            ("duplicate terminal events", str(self.duplicates)),
            ("non-monotone progress", str(self.non_monotone)),
            ("status changed after terminal", str(self.left_terminal)),
            ("analyzer SIGKILLs", str(self.kills)),
            (f"analyzer SIGSTOPs (> {PAUSE:g} s)", str(self.pauses)),
            ("wall time", f"{self.seconds:.1f} s"),
        ]

    def print(self, title: str) -> None:
        print(f"\n{title}")
        width = max(len(name) for name, _ in self.rows())
        for name, value in self.rows():
            print(f"  {name:<{width}}  {value}")


class Follower:
    """A Socket.IO client that records every event per job."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=True)
        self.events: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for name in ("progress", *TERMINAL):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: dict[str, Any]) -> None:
            self.events[str(data.get("job_id"))].append((name, data))

        return record


async def _busy_analyzers(http: aiohttp.ClientSession, stack: Stack) -> list[str]:
    busy = []
    for name, port in list(stack.metrics_ports.items()):
        if not name.startswith("analyzer") or stack.procs[name].poll() is not None:
            continue
        try:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                text = await resp.text()
        except aiohttp.ClientError:
            continue
        for line in text.splitlines():
            if line.startswith("convoscope_analyzer_active_jobs ") and float(line.split()[1]) >= 1:
                busy.append(name)
    return busy


async def _faults(
    http: aiohttp.ClientSession,
    stack: Stack,
    kills: int,
    pauses: int,
    rng: random.Random,
    report: Report,
) -> None:
    """At random moments, SIGKILL a busy analyzer (then start it again) or SIGSTOP one
    past ack_wait (then SIGCONT it), until both counts are reached."""
    while report.kills < kills or report.pauses < pauses:
        await asyncio.sleep(rng.uniform(1.0, 4.0))
        busy = await _busy_analyzers(http, stack)
        if not busy:
            continue
        name = rng.choice(busy)
        proc = stack.procs[name]
        kill = report.pauses >= pauses or (report.kills < kills and rng.random() < 0.5)
        if kill:
            proc.kill()
            await asyncio.to_thread(proc.wait)
            report.kills += 1
            stack.start_service("analyzer", name)
        else:
            os.kill(proc.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(PAUSE)
            finally:
                os.kill(proc.pid, signal.SIGCONT)
            report.pauses += 1


async def _poll_all(http: aiohttp.ClientSession, jobs: list[str]) -> dict[str, dict[str, Any]]:
    states = {}
    for job_id in jobs:
        while True:
            async with http.get(f"/api/analysis/{job_id}") as resp:
                body = await resp.json()
                if resp.status == 200:
                    states[job_id] = body
                    break
                if resp.status not in (429, 503):
                    # A job the API no longer answers for (e.g. 404) counts as lost.
                    states[job_id] = {"status": f"http {resp.status}", "error": body}
                    break
                # Told to wait (a NATS leader election, a rate limit): wait as told.
                await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
    return states


async def run_chaos(
    jobs: int,
    kills: int,
    pauses: int = 0,
    *,
    conversations: int = 300,
    seed: int = 7,
    deadline: float = 600.0,
) -> Report:
    """One run on a fresh stack; the report of what clients observed."""
    rng = random.Random(seed)
    data = _generator().generate_claude_export(conversations, seed=seed)
    report = Report()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(Path(tmp), port=free_port(), env=ENV, analyzer_replicas=2) as stack,
    ):
        async with aiohttp.ClientSession(base_url=stack.url) as http:
            form = aiohttp.FormData()
            form.add_field("file", data, filename="conversations.json")
            async with http.post("/api/upload", data=form) as resp:
                file_id = (await resp.json())["file_id"]
            follower = Follower()
            await follower.client.connect(stack.url, transports=["websocket"])
            started = time.perf_counter()
            ids: list[str] = []
            for i in range(jobs):
                # A distinct cache key per job, so none completes from the cache.
                options = {
                    "timezone": TIMEZONES[i % len(TIMEZONES)],
                    "enable_visualizations": i < len(TIMEZONES),
                }
                async with http.post(
                    "/api/analysis", json={"file_id": file_id, "options": options}
                ) as resp:
                    job_id = (await resp.json())["job_id"]
                await follower.client.call("subscribe", {"job_id": job_id}, timeout=10)
                ids.append(job_id)
            report.submitted = len(ids)
            killer = asyncio.create_task(_faults(http, stack, kills, pauses, rng, report))
            try:
                async with asyncio.timeout(deadline):
                    while True:
                        finals = await _poll_all(http, ids)
                        if all(
                            s["status"] not in ("pending", "processing") for s in finals.values()
                        ):
                            break
                        await asyncio.sleep(0.5)
            except TimeoutError:
                finals = await _poll_all(http, ids)
            finally:
                killer.cancel()
            report.seconds = time.perf_counter() - started
            await asyncio.sleep(3)  # late events of a stale run would arrive now
            again = await _poll_all(http, ids)
            await follower.client.disconnect()
        for job_id in ids:
            state = finals[job_id]
            if state["status"] == "complete":
                report.completed += 1
            elif state["status"] in ("failed", "cancelled"):
                report.failed[(state.get("error") or {}).get("code", state["status"])] += 1
            else:
                report.lost += 1
            ended = state["status"] not in ("pending", "processing")
            if ended and again[job_id]["status"] != state["status"]:
                report.left_terminal += 1
            events = follower.events.get(job_id, [])
            terminal = [name for name, _ in events if name in TERMINAL]
            report.duplicates += max(0, len(terminal) - 1)
            progress = [float(data["progress"]) for name, data in events if name == "progress"]
            report.non_monotone += progress != sorted(progress)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--pauses", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    args = parser.parse_args(argv)
    chaos = asyncio.run(
        run_chaos(
            args.jobs, args.kills, args.pauses, conversations=args.conversations, seed=args.seed
        )
    )
    chaos.print(
        f"chaos: {args.jobs} jobs, {args.kills} analyzer SIGKILLs, "
        f"{args.pauses} SIGSTOPs past ack_wait, 2 analyzers"
    )
    if args.baseline:
        calm = asyncio.run(
            run_chaos(args.jobs, 0, 0, conversations=args.conversations, seed=args.seed)
        )
        calm.print("baseline: the same jobs, no faults")
        if calm.seconds:
            print(f"\n  chaos wall time / baseline: {chaos.seconds / calm.seconds:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
