"""Issue 15 on the running stack: an authenticated bus, hashed keys from a file, a limiter
random keys cannot escape, quiet health, capped Socket.IO, sandboxed report downloads."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiohttp
import nats
import pytest
import socketio
from nats.errors import NoServersError

from convoscope_gateway.keyring import verifier
from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.conftest import E2E_ENV
from tests.e2e.helpers import DATA, export_files, finished, poll_job, start_analysis, upload


async def test_the_security_boundary_holds_on_the_running_stack(tmp_path: Path) -> None:
    keys = tmp_path / "api_keys"
    # Alice's key only as its verifier; Bob's in clear: both forms work together.
    keys.write_text(f"sha256:{verifier('key-alice')},key-bob\n")
    env = {
        **E2E_ENV,
        "CONVOSCOPE_API_KEYS_FILE": str(keys),
        "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": "300",
        "CONVOSCOPE_MAX_SUBSCRIPTIONS_PER_CONNECTION": "1",
    }
    with Stack(tmp_path / "stack", port=free_port(), env=env) as stack:
        # Uploads live in the JetStream files under the data directory: owner only.
        assert stack.data_dir.stat().st_mode & 0o777 == 0o700
        # The bus: no credentials, no connection.
        with pytest.raises((NoServersError, nats.errors.Error, OSError)):
            await nats.connect(stack.nats_url, allow_reconnect=False, max_reconnect_attempts=0)

        alice = aiohttp.ClientSession(base_url=stack.url, headers={"X-API-Key": "key-alice"})
        anon = aiohttp.ClientSession(base_url=stack.url)
        try:
            async with anon.get("/api/health") as resp:
                assert set(await resp.json()) == {"status"}
                assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
            async with alice.get("/api/health") as resp:
                assert {"ingest", "analyzer", "exporter"} <= set((await resp.json())["services"])

            status, mine = await upload(alice, (DATA / "claude_sample.json").read_bytes(), "c.json")
            assert status == 200, mine
            job = await start_analysis(alice, mine["file_id"], timezone="Etc/UTC")
            assert (await poll_job(alice, job["job_id"], finished))["status"] == "complete"
            # The same analysis under an alias of the zone is a cache hit, not a new run.
            again = await start_analysis(alice, mine["file_id"], timezone="UTC")
            assert again["status"] == "complete"

            export = await export_files(alice, {"job_id": job["job_id"], "formats": ["html"]})
            [report] = export["files"]
            async with alice.get(report["url"]) as resp:
                assert resp.status == 200
                csp = resp.headers["Content-Security-Policy"]
                assert "sandbox" in csp and "connect-src 'none'" in csp
                assert resp.headers["X-Content-Type-Options"] == "nosniff"

            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(stack.url, transports=["websocket"], auth={"api_key": "key-alice"})
            try:
                ack = await sio.call("subscribe", {"job_id": job["job_id"]}, timeout=10)
                assert ack["ok"] is True
                ack = await sio.call("subscribe", {"job_id": export["export_id"]}, timeout=10)
                assert ack["ok"] is False and "at most 1" in ack["error"]
            finally:
                await sio.disconnect()

            # 400 requests, each with a new random key, from one address: the address is
            # the identity, so the budget (300/min) runs out.
            async def one(_: int) -> int:
                headers = {"X-API-Key": uuid.uuid4().hex}
                async with anon.get("/api/openapi.json", headers=headers) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(one(i) for i in range(400)))
            assert statuses.count(429) >= 50, statuses.count(429)
            assert set(statuses) <= {401, 429}
            # Alice, identified by her valid key, still has her own budget.
            async with alice.get(f"/api/upload/{mine['file_id']}") as resp:
                assert resp.status == 200
        finally:
            await alice.close()
            await anon.close()
