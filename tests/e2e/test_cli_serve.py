"""``convoscope serve`` starts the local stack (the launcher's main) and stops it on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from convoscope_stack.nats_server import free_port
from tests.unit.cli.helpers import CONVOSCOPE


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as resp:
            return bool(json.loads(resp.read())["status"] == "healthy")
    except OSError:
        return False


def test_serve_runs_the_stack_until_ctrl_c(tmp_path: Path) -> None:
    port, nats_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [CONVOSCOPE, "serve", "--port", str(port), "--nats-port", str(nats_port),
         "--data-dir", str(tmp_path / "data")],
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the stack did not become healthy"
            time.sleep(0.5)
        # The banner follows the services' start (health may answer a moment before).
        while url not in (tmp_path / "serve.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert not _healthy(url)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
