"""/api/health and /metrics show the local launcher's processes (state, restarts)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from convoscope_common.config import Settings
from convoscope_common.launcher_status import (
    STALE_AFTER,
    LauncherStatus,
    ProcessStatus,
    write_status,
)
from convoscope_gateway.app import create_app
from tests.e2e.helpers import metric_value

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(nats_url: str, js: object, tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = Settings(nats_url=nats_url, launcher_status=str(tmp_path / "status.json"))
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def _write(path: Path, updated_at: float, exporter: str = "running") -> None:
    write_status(
        path,
        LauncherStatus(
            launcher_pid=1,
            updated_at=updated_at,
            processes={
                "nats-server": ProcessStatus(state="running", pid=10),
                "analyzer": ProcessStatus(state="running", restarts=2, last_exit="SIGKILL", pid=11),
                "exporter": ProcessStatus(state=exporter, restarts=5, last_exit="exit code 2"),  # type: ignore[arg-type]
            },
        ),
    )


async def test_health_lists_processes_and_a_failed_one_degrades(
    client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "status.json"
    resp = await client.get("/api/health")
    body = await resp.json()
    assert body["processes"] == {}  # no launcher (compose): nothing to show
    assert {"status", "version", "uptime"} <= set(body)  # the seed's fields stay

    _write(path, time.time(), exporter="failed")
    body = await (await client.get("/api/health")).json()
    assert body["processes"]["analyzer"] == {
        "state": "running",
        "restarts": 2,
        "last_exit": "SIGKILL",
        "pid": 11,
    }
    assert body["processes"]["exporter"]["state"] == "failed"
    assert body["status"] == "degraded"

    metrics = await (await client.get("/metrics")).text()
    assert metric_value(metrics, "convoscope_service_restarts_total", 'service="analyzer"') == 2
    assert metric_value(metrics, "convoscope_service_restarts_total", 'service="exporter"') == 5
    assert metric_value(metrics, "convoscope_service_up", 'service="exporter"') == 0
    assert metric_value(metrics, "convoscope_service_up", 'service="nats-server"') == 1

    _write(path, time.time() - STALE_AFTER - 5)  # the launcher is gone
    body = await (await client.get("/api/health")).json()
    assert body["processes"] == {}
    metrics = await (await client.get("/metrics")).text()
    assert "convoscope_service_restarts_total{" not in metrics
