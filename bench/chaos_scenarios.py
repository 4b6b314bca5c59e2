"""Chaos scenarios beyond analyzer kills (issue 11 point 6), each on a fresh stack of
the real processes of ``make run``; ``bench/chaos.py`` runs and prints them.

- :func:`nats_restarts`: nats-server killed and started again (same port and store)
  while an analysis and an export run, ``restarts`` times;
- :func:`rolling_restart`: every service (ingest, each analyzer, exporter, gateway)
  stopped with SIGTERM and started again, one after the other, during a stream of
  uploads, analyses and exports;
- :func:`gateway_restart`: the gateway killed while Socket.IO clients follow running
  jobs; they reconnect, subscribe again and must receive every final state;
- :func:`concurrent`: many analyses submitted at once to two analyzers;
- :func:`full_store`: a small store limit filled by uploads and exports: every refused
  request is a clear 507/503 JSON error and leaves no record behind, and once uploads
  are deleted the stack accepts, analyses and exports again.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos_common import ENV, TIMEZONES, UNFINISHED, Api, Followers, Report, generate_export, tally
from chaos_diagnosis import diagnose

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack

EXPORT_FORMATS = ("json", "csv", "html", "xlsx", "pdf")


@dataclass
class Run:
    """A running stack with its client, followers and the jobs submitted so far."""

    stack: Stack
    api: Api
    followers: Followers
    report: Report
    ids: list[str]

    async def submit_analysis(self, file_id: str, i: int, visuals: bool = True) -> str:
        job_id = await self.api.analyse(file_id, TIMEZONES[i % len(TIMEZONES)], visuals)
        self.ids.append(job_id)
        self.report.submitted += 1
        await self.followers.follow(job_id)
        return job_id

    async def submit_export(self, job_id: str) -> str:
        export_id = await self.api.export(job_id, EXPORT_FORMATS)
        self.ids.append(export_id)
        self.report.submitted += 1
        await self.followers.follow(export_id)
        return export_id

    async def upload(self, data: bytes) -> str:
        status, body = await self.api.upload(data)
        assert status == 200, (status, body)
        return str(body["file_id"])

    async def finish(self, deadline: float) -> None:
        """Wait for every final state, then tally what clients saw."""
        finals = await self.api.wait_final(self.ids, deadline)
        stuck = [job_id for job_id in self.ids if finals[job_id]["status"] in UNFINISHED]
        if stuck:
            self.report.diagnosis += await diagnose(self.stack, stuck)
        await self.followers.catch_up()
        await asyncio.sleep(3)  # late events of a stale run would arrive now
        again = await self.api.states(self.ids)
        tally(self.report, self.ids, finals, again, self.followers)
        self.ids = []  # a later phase is tallied on its own


@asynccontextmanager
async def running(analyzers: int = 2, env: dict[str, str] | None = None) -> AsyncIterator[Run]:
    """A fresh stack (no supervision: the scenario restarts what it stops)."""
    report = Report()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(
            Path(tmp), port=free_port(), env={**ENV, **(env or {})}, analyzer_replicas=analyzers
        ) as stack,
    ):
        api = Api(stack.url, report)
        followers = Followers(stack.url)
        started = time.perf_counter()
        try:
            yield Run(stack, api, followers, report, [])
        finally:
            report.seconds = time.perf_counter() - started
            await followers.close()
            await api.close()


async def _until(predicate: Any, timeout: float, poll: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if await predicate():
            return True
        await asyncio.sleep(poll)
    return False


async def _processing(run: Run, job_id: str) -> bool:
    return (await run.api.state(job_id))["status"] == "processing"


async def nats_restarts(
    restarts: int = 5, *, conversations: int = 300, seed: int = 7, down: float = 2.0
) -> Report:
    """Kill nats-server while an analysis and an export are in flight, ``restarts``
    times; every job ends once, nothing is lost."""
    data = generate_export(conversations, seed=seed)
    async with running() as run:
        file_id = await run.upload(data)
        done = await run.submit_analysis(file_id, 0)
        await run.api.wait_final([done], 300)
        for r in range(restarts):
            job_id = await run.submit_analysis(file_id, r + 1)
            await _until(lambda job_id=job_id: _processing(run, job_id), 30)
            export_id = await run.submit_export(done)
            # What was in flight when the server died (read just before the kill).
            for unfinished in (job_id, export_id):
                if (await run.api.state(unfinished))["status"] in ("pending", "processing"):
                    kind = "exports" if unfinished == export_id else "analyses"
                    run.report.faults[f"{kind} unfinished at a kill"] += 1
            assert run.stack.nats is not None
            proc = run.stack.nats.process
            assert proc is not None
            proc.kill()  # the harshest stop: no goodbye to clients, no store flush
            await asyncio.to_thread(proc.wait)
            run.report.faults["nats-server SIGKILLs"] += 1
            await asyncio.sleep(down)
            run.stack.respawn("nats-server")
            await asyncio.sleep(down)
        await run.finish(600)
        return run.report


async def _restart(run: Run, name: str) -> None:
    """SIGTERM ``name`` (as compose and the launcher stop it), wait, start it again."""
    stack, report = run.stack, run.report
    states = await run.api.states(run.ids)
    report.faults["jobs unfinished at a restart"] += sum(
        s["status"] in ("pending", "processing") for s in states.values()
    )
    proc = stack.procs[name]
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait)
        report.faults["stops that needed SIGKILL"] += 1
    stack.respawn(name)
    if name == "gateway":
        await asyncio.to_thread(stack.wait_ready, 60)
    else:
        await asyncio.sleep(2.0)  # connect, bind, first heartbeat
    report.faults["service restarts (SIGTERM)"] += 1


async def rolling_restart(
    rounds: int = 1,
    jobs: int = 20,
    *,
    conversations: int = 300,
    seed: int = 7,
    gap: float = 1.5,
) -> Report:
    """Restart every service in turn, ``rounds`` times, while uploads, analyses and
    exports keep arriving; nothing is lost, every request is answered."""
    data = [generate_export(conversations, seed=seed + i) for i in range(2)]
    async with running() as run:
        file_id = await run.upload(data[0])
        order = ["ingest", "analyzer", "analyzer-2", "exporter", "gateway"]
        stop = asyncio.Event()

        async def restarter() -> None:
            for _ in range(rounds):
                for name in order:
                    await asyncio.sleep(gap)
                    await _restart(run, name)
            stop.set()

        task = asyncio.create_task(restarter())
        i = 0
        try:
            while not stop.is_set() or i < jobs:
                job_id = await run.submit_analysis(file_id, i)
                if i % 4 == 3:  # an upload through ingest now and then
                    await run.upload(data[i % 2])
                if i % 5 == 4:
                    await run.api.wait_final([job_id], 300)
                    await run.submit_export(job_id)
                i += 1
                await asyncio.sleep(0.5)
        finally:
            await task
        await run.finish(600)
        return run.report


async def gateway_restart(
    kills: int = 2, jobs: int = 12, *, conversations: int = 300, seed: int = 7
) -> Report:
    """Kill the gateway (SIGKILL) while Socket.IO clients follow running jobs, ``kills``
    times; clients reconnect, subscribe again and receive each final state once."""
    data = generate_export(conversations, seed=seed)
    async with running() as run:
        file_id = await run.upload(data)
        for i in range(jobs):
            await run.submit_analysis(file_id, i)
        for _ in range(kills):
            await _until(lambda: _any_processing(run), 60)
            states = await run.api.states(run.ids)
            run.report.faults["jobs unfinished at a gateway kill"] += sum(
                s["status"] in ("pending", "processing") for s in states.values()
            )
            proc = run.stack.procs["gateway"]
            proc.kill()
            await asyncio.to_thread(proc.wait)
            run.report.faults["gateway SIGKILLs"] += 1
            await asyncio.sleep(1.0)
            run.stack.respawn("gateway")
            await asyncio.to_thread(run.stack.wait_ready, 60)
        await run.finish(600)
        run.report.faults["Socket.IO reconnects"] = run.followers.reconnects
        return run.report


async def _any_processing(run: Run) -> bool:
    for job_id in run.ids:
        if (await run.api.state(job_id))["status"] == "processing":
            return True
    return False


async def concurrent(jobs: int = 50, *, conversations: int = 300, seed: int = 7) -> Report:
    """``jobs`` analyses submitted at once to two analyzers."""
    data = generate_export(conversations, seed=seed)
    async with running() as run:
        file_id = await run.upload(data)
        # Distinct options so none is a cache hit: timezone x visualisations.
        ids = await asyncio.gather(
            *(
                run.api.analyse(file_id, TIMEZONES[i % len(TIMEZONES)], i < len(TIMEZONES))
                for i in range(jobs)
            )
        )
        run.report.submitted = len(ids)
        run.ids.extend(ids)
        for job_id in ids:
            await run.followers.follow(job_id)
        await run.finish(1200)
        return run.report


async def full_store(
    store_bytes: int = 4 * 1024 * 1024, *, conversations: int = 120, seed: int = 7
) -> Report:
    """Fill a small store with uploads, then exports: each refusal is a clear 507/503
    JSON error with nothing half-written; deleting uploads frees space and the stack
    uploads, analyses and exports again."""
    env = {"CONVOSCOPE_STORE_MAX_BYTES": str(store_bytes)}
    async with running(env=env) as run:
        kept: list[str] = []
        refused = 0
        for i in range(200):
            status, body = await run.api.upload(generate_export(conversations, seed=seed + i))
            if status == 200:
                kept.append(str(body["file_id"]))
                continue
            _check_refusal(status, body, run.report)
            refused += 1
            if refused >= 2:
                break
        assert refused, f"{len(kept)} uploads fitted in {store_bytes} bytes: raise the data size"
        status, listing = await run.api.call("GET", "/api/uploads")
        assert status == 200
        listed = {row["file_id"] for row in listing["items"]}
        assert listed == set(kept), "a refused upload left a record behind"
        run.report.faults["uploads stored before the store was full"] = len(kept)
        # Analyses still work (results have their own store); exports fill the store.
        job_id = await run.submit_analysis(kept[0], 0)
        await run.api.wait_final([job_id], 300)
        for _ in range(50):
            status, body = await run.api.call(
                "POST", "/api/export", json={"job_id": job_id, "formats": list(EXPORT_FORMATS)}
            )
            if status in (200, 202):
                run.ids.append(body["export_id"])
                run.report.submitted += 1
                await run.followers.follow(body["export_id"])
                await run.api.wait_final([body["export_id"]], 120)
                final = await run.api.state(body["export_id"])
                if final["status"] == "failed":
                    # The worker found the store full: a failed state with its reason,
                    # and no file of it is listed (nothing half-written).
                    assert final["files"] == [] and final["error"]["code"], final
                    break
                continue
            _check_refusal(status, body, run.report)
            break
        # Tally before freeing space: deleting the analysis deletes its exports.
        await run.finish(300)
        # Free space: delete the other uploads, and the analysis with its exports.
        for file_id in kept[1:]:
            status, _ = await run.api.call("DELETE", f"/api/upload/{file_id}")
            assert status == 200
        status, _ = await run.api.call("DELETE", f"/api/analysis/{job_id}")
        assert status == 200
        fresh = await run.upload(generate_export(conversations, seed=seed + 1000))
        again = await run.submit_analysis(fresh, 1)
        await run.api.wait_final([again], 300)
        await run.submit_export(again)
        await run.finish(300)
        assert run.report.completed >= 3, "the stack did not recover once space was freed"
        run.report.faults["recovered after deleting uploads"] = 1
        return run.report


def _check_refusal(status: int, body: Any, report: Report) -> None:
    assert status in (503, 507), (status, body)
    assert isinstance(body, dict) and body.get("error") and body.get("message"), body
    report.refused[f"{status} {body['error']}"] += 1
