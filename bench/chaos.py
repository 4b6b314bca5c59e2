"""Chaos runs (issue 11): faults injected into the real processes of ``make run``.

Each scenario starts a fresh Stack (two analyzer replicas, a short ``ack_wait``), runs
jobs while it injects its faults, follows every job over Socket.IO, and prints a
table of what clients observed:

- submitted, completed, failed (with their error codes);
- lost: jobs with no final state when the run ends (must be 0);
- duplicate terminal events: more than one complete/error/cancelled for a job (0);
- non-monotone progress: a job whose progress events went backwards (0);
- status changes after a terminal state, seen by polling (0);
- final events missed by a subscribed client, across reconnects (0);
- requests unanswered after their deadline (0); refusals with a clear error are listed.

Scenarios (``--scenario``, default all):

- ``analyzers``: a random busy analyzer SIGKILLed and restarted, or SIGSTOPped past
  ``ack_wait`` and resumed, while ``--jobs`` analyses run (with ``--baseline``: the same
  jobs undisturbed, the yardstick for the wall time);
- ``sharded``: the same with every job split into 4 shards over the bus (a killed
  analyzer takes a coordinated job or a shard in flight with it: redone, never counted
  twice);
- ``nats``: nats-server SIGKILLed and restarted with an analysis and an export in
  flight (``--restarts`` times);
- ``rolling``: every service restarted with SIGTERM in turn during a stream of jobs;
- ``gateway``: the gateway SIGKILLed while Socket.IO clients follow running jobs;
- ``concurrent``: ``--concurrent`` analyses submitted at once to two analyzers;
- ``full-store``: a small store limit filled by uploads and exports, then space freed.

    python bench/chaos.py                          # every scenario, full size
    python bench/chaos.py --short                  # the sizes CI runs (tests/chaos)
    python bench/chaos.py --scenario nats --restarts 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # chaos_common, chaos_scenarios

import chaos_scenarios
from chaos_common import (
    ACK_WAIT,
    ENV,
    TIMEZONES,
    UNFINISHED,
    Api,
    Followers,
    Report,
    generate_export,
    tally,
)
from chaos_diagnosis import diagnose

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack

PAUSE = 3 * ACK_WAIT  # a SIGSTOP this long loses the job to the other replica


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
    stack: Stack, kills: int, pauses: int, rng: random.Random, report: Report
) -> None:
    """At random moments, SIGKILL a busy analyzer (then start it again) or SIGSTOP one
    past ack_wait (then SIGCONT it), until both counts are reached."""
    async with aiohttp.ClientSession() as http:
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
                report.faults["analyzer SIGKILLs"] += 1
                stack.start_service("analyzer", name)
            else:
                os.kill(proc.pid, signal.SIGSTOP)
                try:
                    await asyncio.sleep(PAUSE)
                finally:
                    os.kill(proc.pid, signal.SIGCONT)
                report.faults["analyzer SIGSTOPs"] += 1


async def run_chaos(
    jobs: int,
    kills: int,
    pauses: int = 0,
    *,
    conversations: int = 300,
    seed: int = 7,
    deadline: float = 600.0,
    env: dict[str, str] | None = None,
) -> Report:
    """Analyzers SIGKILLed / SIGSTOPped at random while ``jobs`` analyses run (``env``:
    settings added to the stack's, e.g. sharding every job)."""
    rng = random.Random(seed)
    data = generate_export(conversations, seed=seed)
    report = Report()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(
            Path(tmp), port=free_port(), env={**ENV, **(env or {})}, analyzer_replicas=2
        ) as stack,
    ):
        api = Api(stack.url, report)
        followers = Followers(stack.url)
        try:
            status, body = await api.upload(data)
            assert status == 200, (status, body)
            started = time.perf_counter()
            ids: list[str] = []
            for i in range(jobs):
                # A distinct cache key per job, so none completes from the cache.
                job_id = await api.analyse(
                    body["file_id"], TIMEZONES[i % len(TIMEZONES)], i < len(TIMEZONES)
                )
                await followers.follow(job_id)
                ids.append(job_id)
            killer = asyncio.create_task(_faults(stack, kills, pauses, rng, report))
            try:
                # Keep analyzers busy until every fault happened: a fault needs a job
                # to hit (a new job whenever fewer than two are unfinished).
                async with asyncio.timeout(deadline):
                    while not killer.done():
                        states = await api.states(ids)
                        unfinished = sum(
                            st["status"] in ("pending", "processing") for st in states.values()
                        )
                        if unfinished < 2 and len(ids) < 2 * len(TIMEZONES):
                            i = len(ids)
                            job_id = await api.analyse(
                                body["file_id"], TIMEZONES[i % len(TIMEZONES)], i < len(TIMEZONES)
                            )
                            await followers.follow(job_id)
                            ids.append(job_id)
                        await asyncio.sleep(0.5)
                finals = await api.wait_final(ids, deadline)
            finally:
                killer.cancel()
            stuck = [job_id for job_id in ids if finals[job_id]["status"] in UNFINISHED]
            if stuck:
                report.diagnosis = await diagnose(stack, stuck)
            report.submitted = len(ids)
            report.seconds = time.perf_counter() - started
            await followers.catch_up()
            await asyncio.sleep(3)  # late events of a stale run would arrive now
            again = await api.states(ids)
            tally(report, ids, finals, again, followers)
        finally:
            await followers.close()
            await api.close()
    return report


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs (full for docs/reliability.md, short for CI)."""

    jobs: int
    kills: int
    pauses: int
    restarts: int
    rolling_jobs: int
    gateway_kills: int
    gateway_jobs: int
    concurrent: int
    conversations: int
    analyzer_conversations: int  # long enough jobs for a fault to hit one
    pace: float  # seconds between a fault and the next step (NATS down time, restart gap)
    store_bytes: int  # full-store: the store limit
    store_conversations: int  # full-store: conversations per upload
    deadline: float  # analyzers, sharded: seconds for the faults, then for the jobs to end


FULL = Sizes(
    jobs=20, kills=6, pauses=5, restarts=5, rolling_jobs=20, gateway_kills=2,
    gateway_jobs=12, concurrent=50, conversations=300, analyzer_conversations=300,
    pace=2.0, store_bytes=4 * 1024 * 1024, store_conversations=120, deadline=600.0,
)  # fmt: skip
SHORT = Sizes(
    jobs=6, kills=1, pauses=1, restarts=5, rolling_jobs=5, gateway_kills=1,
    gateway_jobs=4, concurrent=50, conversations=20, analyzer_conversations=300,
    pace=1.0, store_bytes=3 * 1024 * 1024 // 2, store_conversations=40,
    # Twice within tests/chaos's 600 s timeout, so a stuck job is reported (its records
    # and log lines) before the test is killed; a clean short run takes 1-2 min loaded.
    deadline=240.0,
)  # fmt: skip
SCENARIOS = ("analyzers", "sharded", "nats", "rolling", "gateway", "concurrent", "full-store")
# Every job of the "sharded" scenario is split into shards both analyzers take: a
# SIGKILLed analyzer takes its job (if it coordinated one) and a shard in flight with it.
SHARDED_ENV = {"CONVOSCOPE_SHARD_MIN_MESSAGES": "500", "CONVOSCOPE_ANALYSIS_SHARDS": "4"}


async def run_scenario(name: str, sizes: Sizes, seed: int = 7) -> tuple[str, Report]:
    """One scenario at the given sizes: (title, report)."""
    n = sizes.conversations
    if name in ("analyzers", "sharded"):
        sharded = name == "sharded"
        report = await run_chaos(
            sizes.jobs,
            sizes.kills,
            sizes.pauses,
            conversations=sizes.analyzer_conversations,
            seed=seed,
            deadline=sizes.deadline,
            env=SHARDED_ENV if sharded else None,
        )
        jobs = f"{sizes.jobs} jobs in 4 shards each" if sharded else f"{sizes.jobs} jobs"
        title = f"{name}: {jobs}, {sizes.kills} SIGKILLs, {sizes.pauses} SIGSTOPs past ack_wait"
    elif name == "nats":
        report = await chaos_scenarios.nats_restarts(
            sizes.restarts, conversations=n, seed=seed, down=sizes.pace
        )
        title = (
            f"nats: {sizes.restarts} nats-server SIGKILLs with an analysis and an export in flight"
        )
    elif name == "rolling":
        report = await chaos_scenarios.rolling_restart(
            1, sizes.rolling_jobs, conversations=n, seed=seed, gap=sizes.pace
        )
        title = "rolling: every service restarted (SIGTERM) in turn during a stream of jobs"
    elif name == "gateway":
        # Jobs long enough to be running when the gateway dies.
        report = await chaos_scenarios.gateway_restart(
            sizes.gateway_kills,
            sizes.gateway_jobs,
            conversations=sizes.analyzer_conversations,
            seed=seed,
        )
        title = f"gateway: {sizes.gateway_kills} gateway SIGKILLs with subscribed Socket.IO clients"
    elif name == "concurrent":
        report = await chaos_scenarios.concurrent(sizes.concurrent, conversations=n, seed=seed)
        title = f"concurrent: {sizes.concurrent} analyses at once on 2 analyzers"
    elif name == "full-store":
        report = await chaos_scenarios.full_store(
            sizes.store_bytes, conversations=sizes.store_conversations, seed=seed
        )
        title = (
            f"full-store: {sizes.store_bytes / 2**20:g} MiB store limit filled by uploads "
            "and exports, then freed"
        )
    else:
        raise ValueError(f"unknown scenario {name!r}; one of {', '.join(SCENARIOS)}")
    return title, report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--short", action="store_true", help="the sizes CI runs")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--kills", type=int)
    parser.add_argument("--pauses", type=int)
    parser.add_argument("--restarts", type=int)
    parser.add_argument("--concurrent", type=int)
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true", help="analyzers: also a calm run")
    args = parser.parse_args(argv)
    sizes = SHORT if args.short else FULL
    overrides = {
        k: v for k, v in vars(args).items() if k in Sizes.__dataclass_fields__ and v is not None
    }
    sizes = Sizes(**{**sizes.__dict__, **overrides})
    failures = 0
    for name in args.scenario or SCENARIOS:
        title, report = asyncio.run(run_scenario(name, sizes, args.seed))
        report.print(title)
        failures += not report.clean()
        if name == "analyzers" and args.baseline:
            calm = asyncio.run(
                run_chaos(
                    sizes.jobs, 0, 0, conversations=sizes.analyzer_conversations, seed=args.seed
                )
            )
            calm.print("baseline: the same jobs, no faults")
            if calm.seconds:
                print(f"\n  chaos wall time / baseline: {report.seconds / calm.seconds:.2f}x")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
