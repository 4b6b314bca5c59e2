"""``convoscope doctor``'s checks, each on its own, and the report's exit code."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from convoscope_cli.doctor import (
    Check,
    check_disk,
    check_nats,
    check_nats_servers,
    check_port,
    check_python,
    check_server,
    report,
)
from convoscope_stack.nats_server import free_port
from tests.unit.cli.helpers import last_json, run_cli


def test_python_version() -> None:
    assert check_python((3, 11, 4)).level == "ok"
    old = check_python((3, 10, 12))
    assert old.level == "fail" and "3.11" in old.detail


def test_disk_space_where_data_would_live(tmp_path: Path) -> None:
    check = check_disk(tmp_path / "not" / "yet" / ".data")
    assert check.level in ("ok", "warn")
    assert "GB free" in check.detail


@pytest.fixture
def fake_nats() -> Iterator[int]:
    """A TCP server that greets like nats-server (INFO line) and closes."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        info = {"version": "2.99.0", "jetstream": True}
        conn.sendall(b"INFO " + json.dumps(info).encode() + b"\r\n")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    thread.join(timeout=5)
    server.close()


def test_nats_reachable_with_jetstream(fake_nats: int) -> None:
    check = check_nats(f"nats://127.0.0.1:{fake_nats}")
    assert check.level == "ok"
    assert "2.99.0" in check.detail and "JetStream on" in check.detail


def test_every_server_of_a_cluster_list_is_checked(fake_nats: int) -> None:
    down = free_port()
    checks = check_nats_servers(f"nats://127.0.0.1:{fake_nats}, nats://127.0.0.1:{down}")
    assert [c.level for c in checks] == ["ok", "warn"]
    assert str(down) in checks[1].detail


def test_nats_unreachable_is_a_warning() -> None:
    check = check_nats(f"nats://127.0.0.1:{free_port()}")
    assert check.level == "warn" and "not reachable" in check.detail


def test_ports_free_and_taken() -> None:
    assert "free" in check_port("127.0.0.1", free_port(), "gateway").detail
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert "in use" in check_port("127.0.0.1", port, "gateway").detail


def test_server_unreachable_is_a_warning() -> None:
    check = check_server(f"http://127.0.0.1:{free_port()}", None)
    assert check.level == "warn" and "not reachable" in check.detail


def test_report_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert report([Check("a", "ok", "fine"), Check("b", "warn", "hmm")], as_json=False) == 0
    assert report([Check("a", "fail", "broken")], as_json=True) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[ok  ] a")
    assert json.loads(out[-1]) == {
        "ok": False,
        "checks": [{"name": "a", "level": "fail", "detail": "broken"}],
    }


def test_doctor_command_without_a_server() -> None:
    done = run_cli(
        "doctor",
        "--json",
        env={
            "CONVOSCOPE_PORT": str(free_port()),
            "CONVOSCOPE_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        },
    )
    body = last_json(done.stdout)
    names = [c["name"] for c in body["checks"]]
    assert names[:3] == ["python", "packages", "nats-server"]
    assert {"nats", "server", "disk"} <= set(names)
    assert done.returncode == (0 if body["ok"] else 1)
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["server"]["level"] == "warn"
    assert "cli" in checks["packages"]["detail"]
