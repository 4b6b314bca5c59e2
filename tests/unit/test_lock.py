"""The workspace installs from one lock (uv.lock), and the lock is current.

uv comes from the development group (pinned to the version the Makefile bootstraps),
so these tests run it as ``python -m uv``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
IMAGE_PACKAGES = (
    "convoscope-gateway",
    "convoscope-ingest",
    "convoscope-analyzer",
    "convoscope-exporter",
)
DEV_ONLY = {"pytest", "ruff", "mypy", "hypothesis", "schemathesis", "uv", "testcontainers"}


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uv", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"UV_PYTHON_DOWNLOADS": "never", "PATH": "/usr/bin:/bin"},
    )


def _export(*packages: str, dev: bool = False) -> dict[str, str]:
    """Locked ``name -> version`` for this interpreter (markers evaluated here)."""
    args = ["export", "--frozen", "--no-hashes", "--no-emit-workspace", "--no-header"]
    args += [] if dev else ["--no-dev"]
    args += [arg for p in packages for arg in ("--package", p)] or ["--all-packages"]
    done = _uv(*args)
    assert done.returncode == 0, done.stderr
    return _pins(done.stdout, None)


def _pins(text: str, environment: dict[str, str] | None) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        (spec,) = requirement.specifier
        pins[_canonical(requirement.name)] = spec.version
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_lock_matches_every_pyproject() -> None:
    """Fails when a pyproject.toml changed and `make lock` was not run."""
    done = _uv("lock", "--check", "--python", sys.executable)
    assert done.returncode == 0, f"uv.lock is stale: run `make lock`\n{done.stderr}"


def test_workspace_members_are_all_locked() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = root["tool"]["uv"]["workspace"]["members"]
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"] for p in lock["package"]}
    for member in members:
        name = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]["name"]
        assert name in locked, member


def test_lock_covers_linux_x86_64_and_aarch64_on_python_311_to_313() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    required = root["tool"]["uv"]["required-environments"]
    machines = {m for r in required for m in ("x86_64", "aarch64") if m in r}
    assert machines == {"x86_64", "aarch64"}
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (supported,) = (
        lock["supported-markers"]
        if "supported-markers" in lock
        else root["tool"]["uv"]["environments"]
    )
    for minor in ("3.11", "3.12", "3.13"):
        for machine in ("x86_64", "aarch64"):
            env = {"python_version": minor, "python_full_version": f"{minor}.0"}
            env |= {"sys_platform": "linux", "platform_machine": machine}
            assert Marker(supported).evaluate(env), (minor, machine)
    # Every locked registry package carries hashes.
    for package in lock["package"]:
        if "registry" in package.get("source", {}):
            artifacts = package.get("wheels", []) + (
                [package["sdist"]] if "sdist" in package else []
            )
            assert artifacts and all(a.get("hash", "").startswith("sha256:") for a in artifacts), (
                package["name"]
            )


def test_runtime_set_has_no_development_tools() -> None:
    runtime = _export()
    everything = _export(dev=True)
    assert not DEV_ONLY & runtime.keys()
    assert DEV_ONLY <= everything.keys()
    # The runtime set is exactly what this environment has for those packages.
    from importlib.metadata import distributions

    installed = {_canonical(d.metadata["Name"]): d.version for d in distributions()}
    assert {name: installed.get(name) for name in runtime} == runtime


def test_every_install_path_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --frozen" in makefile
    assert re.search(r"^run: install-runtime$", makefile, re.M)
    assert re.search(r"^install-runtime: .*\n\t\$\(SYNC\) --no-dev$", makefile, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    # The only pip install anywhere is the pinned bootstrap of uv itself.
    for path in ("Makefile", "Dockerfile", ".ci/run"):
        for line in (ROOT / path).read_text().splitlines():
            if "pip install" in line and not line.lstrip().startswith("#"):
                assert "uv==" in line or "$(UV) pip install" in line, (path, line)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_LIST_INSTALLED = """
import importlib.metadata as m, json, platform, sys
print(json.dumps({
    "installed": {d.metadata["Name"]: d.version for d in m.distributions()},
    "env": {"python_version": "%d.%d" % sys.version_info[:2],
            "python_full_version": platform.python_version(),
            "platform_machine": platform.machine(), "sys_platform": sys.platform},
}))
"""


@pytest.mark.skipif(not _docker_answers(), reason="no Docker engine answers")
def test_docker_image_installs_exactly_the_locked_runtime_set() -> None:
    """The image's installed distributions equal the lock's runtime set for its packages.

    Needs the base image `python:3.11-slim`; on a machine without a registry,
    ../shared/tools/offline-images.sh builds a local stand-in.
    """
    base = subprocess.run(
        ["docker", "image", "inspect", "python:3.11-slim"], capture_output=True, timeout=60
    )
    if base.returncode != 0:
        pytest.skip("base image python:3.11-slim is not available (offline-images.sh)")
    build = subprocess.run(
        ["docker", "build", "-q", "--network", "host", "-t", "convoscope:lock-test", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run(
        ["docker", "run", "--rm", "convoscope:lock-test", "python", "-c", _LIST_INSTALLED],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    installed = {
        _canonical(name): version
        for name, version in seen["installed"].items()
        if not _canonical(name).startswith("convoscope-")
    }
    args = ["export", "--frozen", "--no-hashes", "--no-emit-workspace", "--no-header", "--no-dev"]
    args += [arg for p in IMAGE_PACKAGES for arg in ("--package", p)]
    done = _uv(*args)
    assert done.returncode == 0, done.stderr
    assert installed == _pins(done.stdout, seen["env"])
