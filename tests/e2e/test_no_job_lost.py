"""Issue 2, point 6: an analyzer killed mid-job (SIGKILL) loses nothing; the job completes."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import metric_value, poll_job, upload
from tests.export_texts import load_generator

# Large enough that the analysis is still running when the worker is killed.
CONVERSATIONS = 3000


async def test_killed_worker_job_is_redelivered_and_completes(tmp_path: Path) -> None:
    data = load_generator().generate_claude_export(CONVERSATIONS, seed=11)
    with Stack(tmp_path, port=free_port(), env=E2E_ENV) as stack:
        async with aiohttp.ClientSession(base_url=stack.url) as http:
            status, body = await upload(http, data, "conversations.json")
            assert status == 200, body
            async with http.post("/api/analysis", json={"file_id": body["file_id"]}) as resp:
                job_id = (await resp.json())["job_id"]

            running = await poll_job(
                http,
                job_id,
                lambda b: b["status"] == "processing" and b["progress"] > 0,
                timeout=60,
            )
            assert running["status"] == "processing"
            victim = stack.procs["analyzer"]
            victim.kill()  # SIGKILL: no chance to nak or write anything
            victim.wait()
            async with http.get(f"/api/analysis/{job_id}") as resp:
                assert (await resp.json())["status"] == "processing"

            stack.start_service("analyzer", "analyzer-2")
            done = await poll_job(
                http, job_id, lambda b: b["status"] not in ("pending", "processing"), timeout=240
            )
            assert done["status"] == "complete", done
            assert done["results"]["summary"]["conversations"] == body["metadata"]["conversations"]
            async with http.get(
                f"http://127.0.0.1:{stack.metrics_ports['analyzer-2']}/metrics"
            ) as resp:
                metrics = await resp.text()
            assert metric_value(metrics, "convoscope_analyzer_redeliveries_total") >= 1
