"""The supervisor's I/O around the policy, with stand-in processes and a hand-moved clock."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from convoscope_common.exit_codes import RECYCLED
from convoscope_common.launcher_status import read_status
from convoscope_stack.supervision import RestartPolicy
from convoscope_stack.supervisor import Supervisor


class FakeProcess:
    """What the supervisor uses of a Popen: ``pid`` and ``poll()``."""

    next_pid = 1000

    def __init__(self) -> None:
        FakeProcess.next_pid += 1
        self.pid = FakeProcess.next_pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


class Harness:
    def __init__(self, tmp_path: Path, policy: RestartPolicy, names: list[str]) -> None:
        self.now = 0.0
        self.procs: dict[str, FakeProcess] = {name: FakeProcess() for name in names}
        self.lines: list[str] = []
        self.broken: set[str] = set()  # names whose restart fails at once (exit code 2)
        self.log_path = tmp_path / "stack.log"
        self.status_path = tmp_path / "status.json"
        self.sup = Supervisor(
            policy,
            lambda: cast(dict[str, subprocess.Popen[bytes]], self.procs),
            self.respawn,
            status_path=self.status_path,
            log_path=self.log_path,
            report=self.lines.append,
            clock=lambda: self.now,
        )

    def respawn(self, name: str) -> subprocess.Popen[bytes]:
        proc = FakeProcess()
        if name in self.broken:
            proc.returncode = 2
        self.procs[name] = proc
        return cast(subprocess.Popen[bytes], proc)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.sup.step()

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path, RestartPolicy(max_restarts=2), ["nats-server", "analyzer", "gateway"])


def test_a_killed_service_is_restarted_after_its_backoff_and_reported(harness: Harness) -> None:
    harness.sup.write_status()
    first = harness.procs["analyzer"]
    first.returncode = -9
    harness.advance(0.1)
    assert harness.procs["analyzer"] is first  # still waiting out the backoff
    status = read_status(harness.status_path)
    assert status is not None
    assert status.processes["analyzer"].state == "restarting"
    assert status.processes["analyzer"].last_exit == "SIGKILL"
    harness.advance(0.5)
    assert harness.procs["analyzer"] is not first
    assert harness.lines == ["analyzer died (SIGKILL), restarted (1st time)"]
    status = read_status(harness.status_path)
    assert status is not None
    analyzer = status.processes["analyzer"]
    assert (analyzer.state, analyzer.restarts, analyzer.pid) == (
        "running",
        1,
        harness.procs["analyzer"].pid,
    )
    assert status.processes["gateway"].restarts == 0
    restarted = [e for e in harness.log() if e["event"] == "service_restarted"]
    assert restarted == [
        {
            "event": "service_restarted",
            "service": "analyzer",
            "exit_code": None,
            "signal": "SIGKILL",
            "restarts": 1,
            "pid": harness.procs["analyzer"].pid,
            "level": "warning",
            "logger": "convoscope_stack",
            "timestamp": restarted[0]["timestamp"],
        }
    ]


def test_a_crash_loop_is_given_up_and_the_others_are_left_alone(harness: Harness) -> None:
    gateway = harness.procs["gateway"]
    harness.broken.add("nats-server")
    harness.procs["nats-server"].returncode = -9
    for _ in range(40):
        harness.advance(0.25)
    status = read_status(harness.status_path)
    assert status is not None
    assert status.processes["nats-server"].state == "failed"
    assert status.processes["nats-server"].last_exit == "exit code 2"
    assert status.processes["nats-server"].restarts == 2  # max_restarts, then no more
    assert status.processes["gateway"].state == "running"
    assert harness.procs["gateway"] is gateway
    assert harness.lines[-1].startswith("nats-server keeps crashing (exit code 2, 3 times")
    given_up = [e for e in harness.log() if e["event"] == "service_given_up"]
    assert len(given_up) == 1 and given_up[0]["service"] == "nats-server"
    assert given_up[0]["exit_code"] == 2


def test_a_failed_restart_counts_as_a_crash(harness: Harness) -> None:
    def cannot_start(name: str) -> subprocess.Popen[bytes]:
        raise FileNotFoundError(name)

    harness.sup._respawn = cannot_start
    harness.procs["gateway"].returncode = 1
    for _ in range(40):
        harness.advance(0.25)
    status = read_status(harness.status_path)
    assert status is not None
    assert status.processes["gateway"].state == "failed"
    assert status.processes["gateway"].last_exit == "exit code 127"
    events = [e["event"] for e in harness.log()]
    assert events.count("service_restart_failed") == 2


def test_stop_removes_the_status_record(harness: Harness) -> None:
    harness.sup.start()
    assert read_status(harness.status_path) is not None
    harness.sup.stop()
    assert not harness.status_path.exists()
    assert harness.log()[-1]["event"] == "supervisor_stopped"


def test_the_status_record_says_what_a_console_line_says_when_it_is_printed(
    tmp_path: Path,
) -> None:
    """A reader of the console (a person, or a test) who checks /api/health right after a
    line must find the state the line announces: the record is written before the line."""
    seen: list[tuple[str, str | None]] = []
    harness = Harness(tmp_path, RestartPolicy(max_restarts=1), ["analyzer", "gateway"])

    def report(line: str) -> None:
        status = read_status(harness.status_path)
        assert status is not None
        seen.append((line, status.processes["analyzer"].state))

    harness.sup.report = report
    harness.sup.write_status()
    harness.broken.add("analyzer")
    harness.procs["analyzer"].returncode = -9
    for _ in range(40):
        harness.advance(0.5)
    assert [state for line, state in seen if "), restarted (" in line] == ["running"]
    assert [state for line, state in seen if "keeps crashing" in line] == ["failed"]


def test_a_recycled_service_is_started_again_at_the_next_look_as_no_incident(
    harness: Harness,
) -> None:
    first = harness.procs["analyzer"]
    first.returncode = RECYCLED
    harness.advance(0.01)  # seen ended: due at once
    harness.advance(0.01)
    assert harness.procs["analyzer"] is not first
    status = read_status(harness.status_path)
    assert status is not None
    assert status.processes["analyzer"].state == "running"
    assert status.processes["analyzer"].last_exit == "recycled"
    assert harness.lines == ["analyzer recycled to give memory back, started again (1st time)"]
    events = [(r["event"], r["level"]) for r in harness.log() if r.get("service") == "analyzer"]
    assert events == [("service_recycled", "info"), ("service_restarted", "info")]
