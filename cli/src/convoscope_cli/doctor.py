"""``convoscope doctor``: is this machine ready to run (or reach) ConvoScope?

Each check is a small function returning a :class:`Check`; none changes anything.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from convoscope_common.config import Settings

Level = Literal["ok", "warn", "fail"]

MIN_PYTHON = (3, 11)
# Below this much free space next to .data, uploads and the result cache may not fit.
MIN_FREE_BYTES = 2 * 1024**3
PACKAGES = (
    "convoscope-common",
    "convoscope-ingest",
    "convoscope-analyzer",
    "convoscope-exporter",
    "convoscope-gateway",
    "convoscope-stack",
    "convoscope-cli",
)


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    level: Level
    detail: str


def check_python(info: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    """Python >= 3.11."""
    text = ".".join(str(part) for part in info)
    if info[:2] >= MIN_PYTHON:
        return Check("python", "ok", f"Python {text}")
    return Check("python", "fail", f"Python {text}; ConvoScope needs 3.11 or newer")


def check_packages() -> Check:
    """Which ConvoScope packages are installed, with their versions."""
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name.removeprefix('convoscope-')} {version(name)}")
        except PackageNotFoundError:
            missing.append(name)
    from convoscope_common.results import ENGINE_VERSION

    detail = ", ".join(found) + f"; engine {ENGINE_VERSION}"
    if missing:
        # The gateway and the stack are needed only to serve, not for `analyze`.
        return Check("packages", "warn", detail + "; missing: " + ", ".join(missing))
    return Check("packages", "ok", detail)


def check_nats_binary() -> Check:
    """The nats-server binary `convoscope serve` starts."""
    try:
        from convoscope_stack.nats_server import NatsServerError, find_nats_server
    except ImportError:
        return Check("nats-server", "warn", "convoscope-stack is not installed")
    try:
        return Check("nats-server", "ok", find_nats_server())
    except NatsServerError as exc:
        return Check("nats-server", "warn", str(exc))


def nats_info(host: str, port: int, timeout: float = 2.0) -> dict[str, object]:
    """The INFO object a NATS server sends first on a new connection."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        line = sock.makefile("rb").readline(64 * 1024)
    if not line.startswith(b"INFO "):
        raise ValueError("not a NATS server")
    info = json.loads(line[5:])
    assert isinstance(info, dict)
    return info


def check_nats_servers(urls: str) -> list[Check]:
    """:func:`check_nats` for each server of a comma-separated list (a NATS cluster)."""
    return [check_nats(url.strip()) for url in urls.split(",") if url.strip()]


def check_nats(url: str) -> Check:
    """Is the NATS server of CONVOSCOPE_NATS_URL reachable, and which version is it?"""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 4222
    try:
        info = nats_info(host, port)
    except (OSError, ValueError) as exc:
        return Check(
            "nats",
            "warn",
            f"{host}:{port} not reachable ({exc}); `convoscope serve` starts its own",
        )
    jetstream = "JetStream on" if info.get("jetstream") else "JetStream OFF (needed)"
    level: Level = "ok" if info.get("jetstream") else "fail"
    return Check("nats", level, f"{host}:{port}: nats-server {info.get('version')}, {jetstream}")


def check_port(host: str, port: int, what: str) -> Check:
    """Is ``port`` free to listen on, or taken (by a running server, or something else)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return Check(f"port {port}", "ok", f"{what} port {host}:{port} is in use (running?)")
    return Check(f"port {port}", "ok", f"{what} port {host}:{port} is free")


def check_server(url: str, api_key: str | None, timeout: float = 5.0) -> Check:
    """``GET /api/health``: status, gateway version and the services it sees."""
    request = urllib.request.Request(url.rstrip("/") + "/api/health")
    if api_key:
        request.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        if exc.code != 503:
            return Check("server", "fail", f"{url}: HTTP {exc.code}")
        body = json.loads(exc.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check("server", "warn", f"{url} not reachable ({reason})")
    services = body.get("services") or {}
    seen = ", ".join(f"{name} (seen {age:g} s ago)" for name, age in sorted(services.items()))
    missing = sorted({"ingest", "analyzer", "exporter"} - set(services))
    level: Level = "ok" if body.get("status") == "healthy" else "fail"
    detail = (
        f"{url}: {body.get('status')}, gateway {body.get('version')}, NATS {body.get('nats')}; "
        f"services: {seen or 'none'}"
    )
    if missing:
        detail += "; not seen: " + ", ".join(missing)
    return Check("server", level, detail)


def check_disk(data_dir: Path) -> Check:
    """Free space where .data lives (or would be created)."""
    probe = data_dir.resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    gb = free / 1024**3
    if free < MIN_FREE_BYTES:
        return Check("disk", "warn", f"{gb:.1f} GB free for {data_dir} (2 GB or more advised)")
    return Check("disk", "ok", f"{gb:.1f} GB free for {data_dir}")


def run_checks(settings: Settings, server: str | None, api_key: str | None) -> list[Check]:
    """Every check, in the order they are printed."""
    url = server or f"http://{settings.host}:{settings.port}"
    # The first server of the list is the one `convoscope serve` would start locally.
    nats = urlparse(settings.nats_url.split(",")[0].strip())
    return [
        check_python(),
        check_packages(),
        check_nats_binary(),
        check_port(settings.host, settings.port, "gateway"),
        check_port(nats.hostname or "127.0.0.1", nats.port or 4222, "NATS"),
        *check_nats_servers(settings.nats_url),
        check_server(url, api_key),
        check_disk(Path(".data")),
    ]


def report(checks: list[Check], *, as_json: bool) -> int:
    """Print the checks; 0 unless one failed (then 1)."""
    failed = any(c.level == "fail" for c in checks)
    if as_json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}))
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        for c in checks:
            print(f"[{marks[c.level]}] {c.name:<12} {c.detail}")
    return 1 if failed else 0
