"""The embedded nats-server runs under Go's soft memory limit (its peak RSS was 2.3-2.7x a
large upload without one); an operator's own GOMEMLIMIT wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_stack.nats_server import DEFAULT_MEMORY_LIMIT, NatsServer

pytestmark = pytest.mark.integration


def _environment(server: NatsServer) -> dict[str, str]:
    assert server.process is not None
    raw = Path(f"/proc/{server.process.pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


@pytest.fixture(autouse=True)
def _linux_only() -> None:
    if not Path("/proc/self/environ").exists():
        pytest.skip("reads the process environment from /proc")


def test_the_server_gets_the_default_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with NatsServer(tmp_path / "nats") as server:
        assert _environment(server)["GOMEMLIMIT"] == DEFAULT_MEMORY_LIMIT


def test_an_operators_limit_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMEMLIMIT", "512MiB")
    with NatsServer(tmp_path / "nats") as server:
        assert _environment(server)["GOMEMLIMIT"] == "512MiB"


def test_no_limit_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with NatsServer(tmp_path / "nats", memory_limit=None) as server:
        assert "GOMEMLIMIT" not in _environment(server)
