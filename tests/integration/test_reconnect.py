"""The NATS helper reconnects after the server restarts, and drains on exit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from convoscope_common.bus import nats_connection
from convoscope_stack.nats_server import NatsServer

pytestmark = pytest.mark.integration


async def test_a_service_connection_survives_a_server_restart(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        async with nats_connection(server.url, "reconnect-test") as nc:
            received: list[bytes] = []

            async def on_msg(msg: object) -> None:
                received.append(msg.data)  # type: ignore[attr-defined]

            await nc.subscribe("convoscope.test", cb=on_msg)
            server.stop()
            for _ in range(100):
                if not nc.is_connected:
                    break
                await asyncio.sleep(0.05)
            assert not nc.is_connected
            server.start()  # same port and store
            for _ in range(200):
                if nc.is_connected:
                    break
                await asyncio.sleep(0.05)
            assert nc.is_connected
            await nc.publish("convoscope.test", b"after restart")
            await nc.flush()
            for _ in range(50):
                if received:
                    break
                await asyncio.sleep(0.05)
            assert received == [b"after restart"]  # the subscription came back too
        assert nc.is_closed  # drained and closed on exit
    finally:
        server.stop()
