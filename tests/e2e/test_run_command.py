"""`make run`'s command: starts everything, prints the URL, stops it all on Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from convoscope_stack.nats_server import free_port


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_prints_the_url_serves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port, nats_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "convoscope_stack", "--port", str(port),
         "--nats-port", str(nats_port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        banner = ""
        while time.monotonic() < deadline and "running at" not in banner:
            banner = proc.stdout.readline()
            assert banner or proc.poll() is None, "the launcher exited early"
        assert f"http://127.0.0.1:{port}" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "healthy"
        assert (tmp_path / "logs" / "analyzer.log").exists()

        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert "stopped." in rest
        assert not _port_open(port), "the gateway still listens"
        assert not _port_open(nats_port), "nats-server still listens"
    finally:
        if proc.poll() is None:
            proc.kill()
