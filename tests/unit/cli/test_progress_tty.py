"""The progress bar appears on a terminal (a pseudo-terminal here) and only there."""

from __future__ import annotations

import itertools
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from tests.unit.cli.helpers import CONVOSCOPE, DATA, run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BAR = "━"  # rich's bar character


def _run_in_pty(*args: str, timeout: float = 240) -> tuple[int, str]:
    """Run ``convoscope ARGS`` with stdin, stdout and stderr on a pseudo-terminal."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [CONVOSCOPE, *args], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    code = proc.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    code, output = _run_in_pty(
        "analyze", str(DATA / "claude_sample.json"), "--out", str(tmp_path), "--format", "json"
    )
    assert code == 0, output
    assert BAR in output, output
    assert ANSI.search(output), "a terminal gets cursor control for redrawing the bar"
    assert "100%" in output
    assert "msg/s" in output  # throughput
    plain = ANSI.sub("", output)
    assert "Done" in plain
    assert "ConvoScope summary" in plain


def test_no_bar_when_not_a_terminal(tmp_path: Path) -> None:
    done = run_cli(
        "analyze", str(DATA / "claude_sample.json"), "--out", str(tmp_path), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert BAR not in stream
        assert not ANSI.search(stream)
    steps = [line for line in done.stderr.splitlines() if line.startswith("[")]
    # One line per step: no step is printed twice in a row.
    names = [line.split("] ", 1)[1].split(" (")[0] for line in steps]
    assert all(a != b for a, b in itertools.pairwise(names))
    assert len(steps) >= 8


def test_quiet_on_a_terminal_shows_no_bar(tmp_path: Path) -> None:
    code, output = _run_in_pty(
        "analyze", str(DATA / "claude_sample.json"), "--out", str(tmp_path), "-q"
    )
    assert code == 0
    assert BAR not in output
    assert ANSI.sub("", output).strip() == ""
