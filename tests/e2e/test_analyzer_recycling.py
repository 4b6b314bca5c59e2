"""An analyzer replica whose memory stays high after a job ends itself and is started
again, and the service goes on: real processes under the launcher's supervision.

The limit is set so low (0.01 MB) that any job leaves the replica above it: after the
first job it recycles (exit code 75), the supervisor starts it again at once (no crash,
no backoff), ``/api/health`` says so, and the next job is analysed by the new process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from convoscope_common.exit_codes import RECYCLED
from convoscope_stack.stack import RECYCLE_ENV, Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import poll_job, start_analysis, supervised_stack, upload
from tests.export_texts import load_generator

pytestmark = pytest.mark.e2e

ENV = {**E2E_ENV, "CONVOSCOPE_HEARTBEAT_INTERVAL": "1", RECYCLE_ENV: "0.01"}


@pytest.fixture(scope="module")
def recycling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[str]]]:
    with supervised_stack(tmp_path_factory.mktemp("recycling"), ENV) as running:
        yield running


async def _health(http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.get("/api/health") as resp:
        body: dict[str, Any] = await resp.json()
        return body


def _log(stack: Stack, name: str) -> list[dict[str, Any]]:
    path = stack.log_dir / f"{name}.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


async def _analysed(http: aiohttp.ClientSession, seed: int) -> str:
    data = load_generator().generate_claude_export(120, seed=seed)
    status, body = await upload(http, data, "conversations.json")
    assert status == 200, body
    job_id = str((await start_analysis(http, body["file_id"]))["job_id"])
    job = await poll_job(http, job_id, lambda j: j["status"] in ("complete", "failed"))
    assert job["status"] == "complete", job
    return job_id


async def test_a_replica_above_its_limit_is_recycled_and_the_next_job_runs(
    recycling: tuple[Stack, list[str]],
) -> None:
    stack, console = recycling
    first_pid = stack.processes()["analyzer"].pid
    async with aiohttp.ClientSession(base_url=stack.url) as http:
        first = await _analysed(http, seed=1)
        # Idle after its job: released, over the limit, ended, started again at once.
        deadline = time.monotonic() + 60
        while True:
            proc = (await _health(http))["processes"]["analyzer"]
            if proc["restarts"] >= 1 and proc["state"] == "running" and proc["pid"] != first_pid:
                break
            assert time.monotonic() < deadline, proc
            await asyncio.sleep(0.2)
        assert proc["last_exit"] == "recycled"
        second = await _analysed(http, seed=2)
        body = await _health(http)

    recycled = [r for r in _log(stack, "stack") if r.get("event") == "service_recycled"]
    assert recycled and recycled[0]["service"] == "analyzer"
    assert recycled[0]["exit_code"] == RECYCLED
    assert recycled[0]["crashes_in_a_row"] == 0
    assert not [r for r in _log(stack, "stack") if r.get("event") == "service_exited"]
    assert any("analyzer recycled to give memory back, started again (1st time)" in line
               for line in console)  # fmt: skip
    analyzer = _log(stack, "analyzer")
    ends = [r for r in analyzer if r.get("event") == "replica_recycling"]
    assert ends and ends[0]["rss_mb"] - ends[0]["rss_mb_started"] > 0.01
    # The first job ran in the first process, the second in the new one: each completed
    # once, and the job of the first process was not run again.
    completes = [r for r in analyzer if r.get("event") == "job_complete"]
    assert [r["job_id"] for r in completes] == [first, second]
    # A recycle is no incident: nothing was given up, every process runs again.
    assert {p["state"] for p in body["processes"].values()} <= {"running", "restarting"}
