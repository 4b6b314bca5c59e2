"""Start nats-server and the four services as separate processes, and stop them cleanly.

With a :class:`RestartPolicy` (``make run`` always passes one), a supervisor
thread restarts whichever process dies after the stack came up, nats-server
included; see :mod:`convoscope_stack.supervisor`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from convoscope_common.bus_access import PROVISIONER
from convoscope_common.launcher_status import STATUS_FILE_ENV
from convoscope_stack import nats_auth
from convoscope_stack.nats_server import NatsServer, NatsServerError, free_port
from convoscope_stack.supervision import RestartPolicy
from convoscope_stack.supervisor import Supervisor

NATS_SERVER = "nats-server"  # the supervised name of the embedded NATS server
# Settings.analyzer_recycle_mb: a stack without supervision turns recycling off.
RECYCLE_ENV = "CONVOSCOPE_ANALYZER_RECYCLE_MB"

# The command of every service; compose.yaml runs exactly these (a test checks it).
SERVICE_MODULES: dict[str, str] = {
    "ingest": "convoscope_ingest",
    "analyzer": "convoscope_analyzer",
    "exporter": "convoscope_exporter",
    "gateway": "convoscope_gateway",
}


def service_command(service: str) -> list[str]:
    """The argv that runs ``service`` (``python -m <module>``)."""
    return ["python", "-m", SERVICE_MODULES[service]]


class StackError(RuntimeError):
    """The stack did not come up."""


class Stack:
    """nats-server (embedded, unless ``nats_url`` is given) plus one process per service."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 5000,
        host: str = "127.0.0.1",
        nats_url: str | None = None,
        nats_port: int = 0,
        env: Mapping[str, str] | None = None,
        analyzer_replicas: int = 1,
        log_dir: Path | None = None,
        bus_auth: bool = True,
        policy: RestartPolicy | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        """``policy``: restart processes that die (None: no supervision, for tests that
        kill and replace processes by hand). ``report`` gets the supervisor's console lines."""
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.analyzer_replicas = analyzer_replicas
        self.extra_env = dict(env or {})
        self.log_dir = log_dir or data_dir / "logs"
        self.nats: NatsServer | None = None
        self._nats_url = nats_url
        self._nats_port = nats_port
        # The embedded server requires per-service credentials (off only for a given URL).
        self.bus_auth = bus_auth and not nats_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.metrics_ports: dict[str, int] = {}
        self.policy = policy
        self.report = report or (lambda line: print(f"convoscope: {line}", flush=True))
        self.supervisor: Supervisor | None = None
        self.status_path = data_dir / "launcher-status.json"
        # name -> (service, env overrides): what a restart runs again
        self._specs: dict[str, tuple[str, dict[str, str]]] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def nats_url(self) -> str:
        if self._nats_url:
            return self._nats_url
        assert self.nats is not None
        return self.nats.url

    def _env(self, name: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["CONVOSCOPE_NATS_URL"] = self.nats_url
        env["CONVOSCOPE_HOST"] = self.host
        env["CONVOSCOPE_PORT"] = str(self.port)
        env.setdefault("CONVOSCOPE_LOG_FORMAT", "json")
        env["CONVOSCOPE_INSTANCE"] = name
        env[STATUS_FILE_ENV] = str(self.status_path)
        if name != "gateway":
            # A restarted worker keeps its metrics port, so scrapers find it again.
            if name not in self.metrics_ports:
                self.metrics_ports[name] = free_port(self.host)
            env["CONVOSCOPE_METRICS_PORT"] = str(self.metrics_ports[name])
        env["PYTHONUNBUFFERED"] = "1"
        if self.policy is None:
            # Nothing would start a recycled analyzer again: it keeps its process.
            env.setdefault(RECYCLE_ENV, "0")
        env.update(overrides or {})
        return env

    def start_service(
        self, service: str, name: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start one service process (``name`` distinguishes replicas; ``env`` overrides)."""
        name = name or service
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        argv = service_command(service)
        argv[0] = sys.executable
        identity = nats_auth.service_env(self.data_dir, service) if self.bus_auth else {}
        proc = subprocess.Popen(
            argv,
            env=self._env(name, {**identity, **(env or {})}),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        self._specs[name] = (service, dict(env or {}))
        return proc

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """Every process of the stack by name, the embedded nats-server included."""
        procs = dict(self.procs)
        if self.nats is not None and self.nats.process is not None:
            procs[NATS_SERVER] = self.nats.process
        return procs

    def respawn(self, name: str) -> subprocess.Popen[bytes]:
        """Start process ``name`` again, as it was first started (same port, same store)."""
        if name == NATS_SERVER:
            assert self.nats is not None
            return self.nats.spawn()
        service, env = self._specs[name]
        return self.start_service(service, name, env)

    def start(self, timeout: float = 60.0) -> None:
        """Start everything and wait until the gateway sees every service."""
        if not self._nats_url:
            # The JetStream files hold every upload: other host users must not read them.
            self.data_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.data_dir, 0o700)
            config = nats_auth.write_config(self.data_dir) if self.bus_auth else None
            self.nats = NatsServer(self.data_dir / "nats", port=self._nats_port, config_file=config)
            try:
                self.nats.start()
            except NatsServerError as exc:  # e.g. its port is taken: a failed first start
                raise StackError(str(exc)) from None
            if self.bus_auth:
                self.setup_bus()
        self.start_service("ingest")
        for i in range(self.analyzer_replicas):
            self.start_service("analyzer", "analyzer" if i == 0 else f"analyzer-{i + 1}")
        self.start_service("exporter")
        self.start_service("gateway")
        self.wait_ready(timeout)
        if self.policy is not None:
            self.supervisor = Supervisor(
                self.policy,
                self.processes,
                self.respawn,
                status_path=self.status_path,
                log_path=self.log_dir / "stack.log",
                report=self.report,
            )
            self.supervisor.start()

    def setup_bus(self, timeout: float = 90.0) -> None:
        """Create streams, buckets and consumers as the provisioner (services cannot)."""
        env = self._env("provisioner", nats_auth.service_env(self.data_dir, PROVISIONER))
        env.pop("CONVOSCOPE_METRICS_PORT", None)
        self.metrics_ports.pop("provisioner", None)
        done = subprocess.run(
            [sys.executable, "-m", "convoscope_common.setup_bus"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise StackError(f"bus provisioning failed: {done.stderr.decode(errors='replace')}")

    def nats_connect_options(self, user: str = PROVISIONER) -> dict[str, str]:
        """``nats.connect`` keyword arguments for ``user`` (empty without auth)."""
        return nats_auth.connect_options(self.data_dir, user) if self.bus_auth else {}

    def wait_ready(self, timeout: float = 60.0) -> dict[str, object]:
        """Wait until /api/health answers and lists ingest, analyzer and exporter."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise StackError(f"{name} exited with {proc.returncode}: see {self.log_dir}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=2) as resp:
                    health: dict[str, object] = json.loads(resp.read())
                services = health.get("services") or {}
                if isinstance(services, dict) and {"ingest", "analyzer", "exporter"} <= set(
                    services
                ):
                    return health
                if "services" not in health and health.get("status") == "healthy":
                    return health  # API keys on: the keyless view says only "healthy"
                last = f"services seen: {sorted(services) if isinstance(services, dict) else []}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise StackError(f"stack not ready after {timeout}s ({last}); logs in {self.log_dir}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop supervising, SIGTERM every service (gateway first), wait, then stop nats-server."""
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        order = ["gateway"] + [n for n in self.procs if n != "gateway"]
        for name in order:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        if self.nats is not None:
            self.nats.stop()
            self.nats = None

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
