"""compose's NATS: the committed config and entrypoint, run with the real nats-server binary."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.errors import NoServersError

from convoscope_common.bus_access import inbox_prefix
from convoscope_stack.nats_auth import write_secrets
from convoscope_stack.nats_server import find_nats_server, free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def _compose_nats(tmp: Path, secrets: Path) -> Iterator[tuple[str, Path]]:
    """The command compose runs (entrypoint and committed config), with free ports and
    a temporary store; yields the URL and the server's log."""
    port, monitor = free_port(), free_port()
    log = tmp / "nats.log"
    env = {
        **os.environ,
        "NATS_SECRETS_DIR": str(secrets),
        "PATH": f"{Path(find_nats_server()).parent}:{os.environ['PATH']}",
    }
    argv = ["/bin/sh", str(REPO / "deploy/nats/entrypoint.sh"), "-c"]
    argv += [str(REPO / "deploy/nats/nats.conf"), "-js", "-sd", str(tmp / "data")]
    argv += ["-a", "127.0.0.1", "-p", str(port), "-m", str(monitor), "-l", str(log)]
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if log.exists() and "Server is ready" in log.read_text():
            break
        assert proc.poll() is None, "nats-server exited"
        time.sleep(0.05)
    try:
        yield f"nats://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def compose_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("compose-nats")
    secrets = tmp / "secrets"
    write_secrets(secrets)
    with _compose_nats(tmp, secrets) as (url, log):
        yield url, secrets, log


@pytest.mark.parametrize("password", ["-leading-dash_x", "12-bx", "12345", "1e9x"])
async def test_compose_nats_starts_with_any_generated_password(
    tmp_path: Path, password: str
) -> None:
    """token_urlsafe can start with "-" or digits; unquoted, nats-server refused to start
    ("variable reference ... could not be parsed", seen in CI)."""
    secrets = tmp_path / "secrets"
    write_secrets(secrets)
    (secrets / "nats_gateway_password").write_text(password)
    with _compose_nats(tmp_path, secrets) as (url, _log):
        nc = await nats.connect(
            url, user="gateway", password=password, inbox_prefix=inbox_prefix("gateway")
        )
        await nc.flush()
        await nc.close()


async def test_compose_nats_refuses_anonymous_clients_and_admits_services(
    compose_nats: tuple[str, Path, Path],
) -> None:
    url, secrets, log = compose_nats
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
    password = (secrets / "nats_gateway_password").read_text()
    nc = await nats.connect(
        url, user="gateway", password=password, inbox_prefix=inbox_prefix("gateway")
    )
    try:
        await nc.flush()
    finally:
        await nc.close()
    # Monitoring answers on loopback only (the config's http), whatever -m says.
    assert "Starting http monitor on 127.0.0.1:" in log.read_text()


def test_compose_nats_entrypoint_stops_without_its_secrets(tmp_path: Path) -> None:
    done = subprocess.run(
        ["/bin/sh", str(REPO / "deploy/nats/entrypoint.sh"), "--version"],
        env={**os.environ, "NATS_SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "nats_gateway_password" in done.stderr


@pytest.mark.parametrize("password", ["", "admin", "short"])
def test_grafana_refuses_to_start_with_the_default_or_a_weak_password(
    tmp_path: Path, password: str
) -> None:
    secret = tmp_path / "grafana_admin_password"
    secret.write_text(password)
    done = subprocess.run(
        ["/bin/sh", str(REPO / "deploy/grafana/entrypoint.sh")],
        env={**os.environ, "GF_SECURITY_ADMIN_PASSWORD__FILE": str(secret)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "refusing to start" in done.stderr


def test_grafana_starts_with_an_operator_password(tmp_path: Path) -> None:
    secret = tmp_path / "grafana_admin_password"
    secret.write_text("a-long-operator-password")
    done = subprocess.run(
        ["/bin/sh", str(REPO / "deploy/grafana/entrypoint.sh")],
        env={**os.environ, "GF_SECURITY_ADMIN_PASSWORD__FILE": str(secret)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    # Past the check it hands over to Grafana's own /run.sh (absent outside the image).
    assert "refusing" not in done.stderr
    assert done.returncode != 1 or "run.sh" in done.stderr


def test_secrets_are_created_once_in_a_private_directory(tmp_path: Path) -> None:
    created = write_secrets(tmp_path / "s")
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o700
    names = {p.name for p in created}
    assert {"nats_gateway_password", "pseudonym_secret", "api_keys"} <= names
    assert "grafana_admin_password" not in names  # the operator chooses it
    before = (tmp_path / "s" / "nats_gateway_password").read_text()
    assert write_secrets(tmp_path / "s") == []
    assert (tmp_path / "s" / "nats_gateway_password").read_text() == before
