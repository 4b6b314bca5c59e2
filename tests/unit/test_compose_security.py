"""compose.yaml's security boundary: an authenticated bus from secrets, no published
monitoring, no Grafana default password, secrets from files (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from convoscope_common.bus_access import SERVICES
from convoscope_stack.nats_auth import render_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_committed_nats_config_is_the_generated_one() -> None:
    committed = (REPO / "deploy/nats/nats.conf").read_text(encoding="utf-8")
    assert committed == render_config(monitor="127.0.0.1:8222"), (
        "deploy/nats/nats.conf is stale: run "
        "`python -m convoscope_stack.nats_auth compose-config > deploy/nats/nats.conf`"
    )
    assert "password: $NATS_GATEWAY_PASSWORD" in committed  # a reference, never a secret


def test_nats_publishes_no_port_and_loads_its_users(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    assert "ports" not in nats  # neither clients nor monitoring reachable from the host
    assert nats["command"][:2] == ["-c", "/etc/nats/nats.conf"]
    assert {f"nats_{user}_password" for user in (*SERVICES, "provisioner")} <= set(nats["secrets"])


def test_each_service_connects_as_itself_with_a_password_file(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["CONVOSCOPE_NATS_USER"] == name
        assert env["CONVOSCOPE_NATS_PASSWORD_FILE"] == f"/run/secrets/nats_{name}_password"
        assert "CONVOSCOPE_NATS_PASSWORD" not in env
        assert f"nats_{name}_password" in services[name]["secrets"]
        # Another service's password is not mounted.
        others = {f"nats_{o}_password" for o in SERVICES if o != name} | {
            "nats_provisioner_password"
        }
        assert not others & set(services[name]["secrets"]), name
        assert services[name]["depends_on"]["provision"] == {
            "condition": "service_completed_successfully"
        }


def test_provisioning_runs_once_as_the_provisioner(compose: dict[str, Any]) -> None:
    provision = compose["services"]["provision"]
    assert provision["command"] == ["python", "-m", "convoscope_common.setup_bus"]
    assert provision["environment"]["CONVOSCOPE_NATS_USER"] == "provisioner"
    assert provision["restart"] == "no"


def test_grafana_has_no_default_password(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    env = grafana["environment"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert grafana["entrypoint"] == ["/bin/sh", "/etc/grafana/entrypoint.sh"]
    assert "GRAFANA_ADMIN_PASSWORD" not in (REPO / "compose.yaml").read_text(encoding="utf-8")


def test_secrets_are_files_and_ignored_by_git(compose: dict[str, Any]) -> None:
    for name, spec in compose["secrets"].items():
        assert spec["file"] == f"./secrets/{name}"
    assert "secrets/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    gateway = compose["services"]["gateway"]["environment"]
    assert gateway["CONVOSCOPE_API_KEYS_FILE"] == "/run/secrets/api_keys"


def test_every_secret_file_a_service_names_is_mounted_in_it(compose: dict[str, Any]) -> None:
    """A ``*_FILE`` setting that names /run/secrets/X in a service that does not mount X
    stops the service at start (the provisioner named the pseudonym secret's file from
    the shared settings without mounting it, and `docker compose up` started nothing)."""
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        mounted = {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}
        for key, value in env.items():
            if key.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in mounted, f"{name}: {key} names {secret}, which is not mounted"
