"""A 3-node NATS cluster with replicas=3: killing the leader in the middle of a job
loses nothing, and the job completes once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import nats
import pytest

from convoscope_common import names
from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.cluster.nats_cluster import LocalCluster
from tests.e2e.helpers import poll_job, upload
from tests.export_texts import load_generator

pytestmark = pytest.mark.e2e

CONVERSATIONS = 1500  # the analysis must still be running when the leader dies


async def _leader(urls: str, stream: str) -> str:
    nc = await nats.connect(servers=urls.split(","))
    try:
        js = nc.jetstream()
        for _ in range(100):
            info = await js.stream_info(stream)
            if info.cluster is not None and info.cluster.leader:
                replicas = len(info.cluster.replicas or []) + 1
                assert info.config.num_replicas == 3 and replicas == 3, info.cluster
                return info.cluster.leader
            await asyncio.sleep(0.1)
        raise AssertionError(f"{stream} has no leader")
    finally:
        await nc.close()


async def test_killing_the_leader_mid_job_loses_nothing(tmp_path: Path) -> None:
    data = load_generator().generate_claude_export(CONVERSATIONS, seed=5)
    with LocalCluster(tmp_path / "nats") as cluster:
        env = {"CONVOSCOPE_NATS_REPLICAS": "3", "CONVOSCOPE_ACK_WAIT": "10"}
        with Stack(tmp_path / "stack", port=free_port(), nats_url=cluster.urls, env=env) as stack:
            async with aiohttp.ClientSession(base_url=stack.url) as http:
                status, uploaded = await upload(http, data, "conversations.json")
                assert status == 200, uploaded
                async with http.post(
                    "/api/analysis", json={"file_id": uploaded["file_id"]}
                ) as resp:
                    assert resp.status in (201, 202), await resp.text()
                    job_id = (await resp.json())["job_id"]
                await poll_job(
                    http,
                    job_id,
                    lambda b: b["status"] == "processing" and b["progress"] > 0,
                    timeout=120,
                )
                # The server that leads the job records: the one whose loss hurts most.
                victim = await _leader(cluster.urls, f"KV_{names.KV_JOBS}")
                cluster.kill(victim)

                done = await poll_job(
                    http,
                    job_id,
                    lambda b: b["status"] not in ("pending", "processing"),
                    timeout=300,
                    interval=0.5,
                )
                assert done["status"] == "complete", done
                assert (
                    done["results"]["summary"]["conversations"]
                    == uploaded["metadata"]["conversations"]
                )
                # Nothing lost: the upload, the job and a new job on the same file.
                async with http.get(f"/api/upload/{uploaded['file_id']}") as resp:
                    assert resp.status == 200
                async with http.post(
                    "/api/export", json={"job_id": job_id, "formats": ["json"]}
                ) as resp:
                    assert resp.status in (200, 202), await resp.text()
            logs = (stack.log_dir / "analyzer.log").read_text()
            assert logs.count(f'"job_complete", "job_id": "{job_id}"') <= 1
