"""Issue 7 point 4: several gateway replicas each deliver a job's events to their own clients,
because every replica subscribes to the job events on NATS (no Socket.IO client manager)."""

from __future__ import annotations

import asyncio

import aiohttp

from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack
from tests.e2e.helpers import EventLog, start_analysis, upload
from tests.export_texts import load_generator


async def _wait_until_up(url: str) -> None:
    async with aiohttp.ClientSession() as http, asyncio.timeout(60):
        while True:
            try:
                async with http.get(f"{url}/api/health") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def test_clients_of_two_gateways_both_receive_the_events(stack: Stack) -> None:
    port = free_port()
    second_url = f"http://127.0.0.1:{port}"
    stack.start_service("gateway", "gateway-2", env={"CONVOSCOPE_PORT": str(port)})
    await _wait_until_up(second_url)
    first_client, second_client = EventLog(), EventLog()
    await first_client.client.connect(stack.url, transports=["websocket"])
    await second_client.client.connect(second_url, transports=["websocket"])
    try:
        async with aiohttp.ClientSession(base_url=stack.url) as http:
            # Long enough to run for a few seconds, so events arrive live through each gateway.
            data = load_generator().generate_claude_export(1000, seed=301)
            _, uploaded = await upload(http, data, "c.json")
            job = await start_analysis(http, uploaded["file_id"])
        for log in (first_client, second_client):
            await log.client.call("subscribe", {"job_id": job["job_id"]}, timeout=10)
        first = await first_client.wait_for("complete")
        second = await second_client.wait_for("complete")
        assert first == second
        for log in (first_client, second_client):
            live = {event["progress"] for event in log.named("progress")}
            assert len(live) >= 3, f"too few live progress events: {sorted(live)}"
    finally:
        await first_client.client.disconnect()
        await second_client.client.disconnect()
        stack.procs.pop("gateway-2").terminate()
