"""compose.yaml, the Dockerfile, Prometheus and Grafana provisioning agree with the code.

No Docker engine is needed: the Compose file is validated with ``docker compose config``
(v2 plugin) or ``docker-compose config`` (Debian package ``docker-compose``), which check it
against the Compose specification schema without contacting an engine.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from convoscope_stack.stack import SERVICE_MODULES, service_command

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
DEPLOY = REPO / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
GRAFANA_PROVISIONING = DEPLOY / "grafana" / "provisioning"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "convoscope.json"
HEALTHCHECK_SCRIPT = DEPLOY / "docker" / "healthcheck.py"

WORKERS = sorted(name for name in SERVICE_MODULES if name != "gateway")
GATEWAY_PORT = 5000
WORKER_METRICS_PORT = 9100

# Metrics the dashboard must show (issue 7 point 7).
REQUIRED_DASHBOARD_METRICS = {
    "convoscope_http_requests_total",
    "convoscope_http_request_seconds",
    "convoscope_analysis_duration_seconds",
    "convoscope_cache_lookups_total",
    "convoscope_socketio_connections",
    "convoscope_analyzer_active_jobs",
    "convoscope_analyzer_redeliveries_total",
    "convoscope_jobs_queue_depth",
    "convoscope_uploads_total",
    "convoscope_exports_requested_total",
}

_METRIC_TOKEN = re.compile(r"\bconvoscope_[a-z0-9_]+")
# prometheus_client exposes a histogram named X as X_bucket, X_count and X_sum.
_SERIES_SUFFIXES = ("_bucket", "_count", "_sum", "_created")
_METRIC_DEFINITION = re.compile(r"""(?:Counter|Gauge|Histogram|Summary)\(\s*["'](convoscope_\w+)""")


class ComposeValidatorMissing(RuntimeError):
    """Neither ``docker compose`` nor ``docker-compose`` can validate compose.yaml here."""


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def compose_validator() -> list[str]:
    """The argv prefix of a Compose CLI whose ``config`` works without an engine."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    raise ComposeValidatorMissing(
        "no Compose CLI: install the Debian package (apt-get install -y "
        "--no-install-recommends docker-compose) or the docker compose v2 plugin"
    )


def test_compose_file_passes_the_compose_cli_validation() -> None:
    try:
        argv = compose_validator()
    except ComposeValidatorMissing as exc:
        pytest.fail(str(exc))  # a missing validator must not pass silently
    result = subprocess.run(
        [*argv, "--file", str(COMPOSE_FILE), "--project-directory", str(REPO), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr or result.stdout


def test_every_convoscope_service_runs_the_command_of_the_e2e_tests(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in SERVICE_MODULES:
        assert name in services, f"{name} missing from compose.yaml"
        assert services[name]["command"] == service_command(name), name


def test_convoscope_services_share_one_image_built_from_the_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    images = {services[name]["image"] for name in SERVICE_MODULES}
    assert len(images) == 1
    for name in SERVICE_MODULES:
        assert services[name]["build"]["dockerfile"] == DOCKERFILE.name
        assert (REPO / services[name]["build"]["context"]).resolve() == REPO


def test_convoscope_services_reach_nats_and_wait_until_it_is_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in SERVICE_MODULES:
        env = services[name]["environment"]
        assert env["CONVOSCOPE_NATS_URL"] == "nats://nats:4222", name
        assert env["CONVOSCOPE_HOST"] == "0.0.0.0", name
        assert services[name]["depends_on"]["nats"]["condition"] == "service_healthy", name


def test_workers_expose_metrics_and_probe_them(services: dict[str, dict[str, Any]]) -> None:
    for name in WORKERS:
        service = services[name]
        assert int(service["environment"]["CONVOSCOPE_METRICS_PORT"]) == WORKER_METRICS_PORT
        probe = " ".join(service["healthcheck"]["test"])
        assert f":{WORKER_METRICS_PORT}/metrics" in probe, name
        assert "curl" not in probe  # python:3.11-slim has no curl


def test_gateway_publishes_its_port_and_probes_api_health(
    services: dict[str, dict[str, Any]],
) -> None:
    gateway = services["gateway"]
    assert "CONVOSCOPE_METRICS_PORT" not in gateway["environment"]  # /metrics is on :5000
    assert any(str(port).endswith(f":{GATEWAY_PORT}:{GATEWAY_PORT}") for port in gateway["ports"])
    probe = " ".join(gateway["healthcheck"]["test"])
    assert f":{GATEWAY_PORT}/api/health" in probe


def test_analyzer_runs_two_replicas_without_fixed_names(
    services: dict[str, dict[str, Any]],
) -> None:
    analyzer = services["analyzer"]
    assert analyzer["deploy"]["replicas"] == 2
    assert "container_name" not in analyzer
    assert "CONVOSCOPE_INSTANCE" not in analyzer["environment"]
    assert "ports" not in analyzer  # a fixed host port would clash between replicas


def test_nats_runs_jetstream_on_a_volume_with_monitoring_and_a_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    nats = services["nats"]
    assert nats["image"].startswith("nats:2.10-alpine")
    command = nats["command"]
    assert "-js" in command
    assert command[command.index("-sd") + 1] == "/data"
    assert command[command.index("-m") + 1] == "8222"
    volume, _, target = nats["volumes"][0].partition(":")
    assert target == "/data"
    assert volume in compose["volumes"]  # a named volume, not a bind mount
    probe = " ".join(nats["healthcheck"]["test"])
    assert "localhost:8222/healthz" in probe


def _scrape_targets(config: dict[str, Any]) -> dict[str, set[str]]:
    """job name -> the ``host:port`` targets it scrapes (DNS SD names included)."""
    targets: dict[str, set[str]] = {}
    for job in config["scrape_configs"]:
        found = targets.setdefault(job["job_name"], set())
        for static in job.get("static_configs", []):
            found.update(static["targets"])
        for sd in job.get("dns_sd_configs", []):
            assert sd.get("type", "SRV") == "A", "compose DNS answers A records, not SRV"
            found.update(f"{name}:{sd['port']}" for name in sd["names"])
    return targets


def test_prometheus_scrapes_every_service_on_its_metrics_port() -> None:
    config = _load_yaml(PROMETHEUS_CONFIG)
    targets = _scrape_targets(config)
    expected = {"gateway": f"gateway:{GATEWAY_PORT}"}
    expected.update({name: f"{name}:{WORKER_METRICS_PORT}" for name in WORKERS})
    for name, target in expected.items():
        assert target in targets.get(name, set()), f"{name} not scraped at {target}"
    analyzer_job = next(j for j in config["scrape_configs"] if j["job_name"] == "analyzer")
    assert analyzer_job.get("dns_sd_configs"), "analyzer replicas need DNS service discovery"


def _bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> repository path of the service's relative bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            mounts[target] = (REPO / source).resolve()
    return mounts


def test_prometheus_and_grafana_mount_the_files_under_deploy(
    services: dict[str, dict[str, Any]],
) -> None:
    assert _bind_mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"] == (
        PROMETHEUS_CONFIG.resolve()
    )
    grafana = _bind_mounts(services["grafana"])
    assert grafana["/etc/grafana/provisioning"] == GRAFANA_PROVISIONING.resolve()
    providers = _load_yaml(GRAFANA_PROVISIONING / "dashboards" / "convoscope.yml")["providers"]
    dashboard_dir = providers[0]["options"]["path"]
    assert grafana[dashboard_dir] == DASHBOARD.parent.resolve()


def _dashboard() -> dict[str, Any]:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _dashboard_targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for panel in dashboard["panels"] for t in panel.get("targets", [])]


def queried_metrics(dashboard: dict[str, Any]) -> set[str]:
    """Every ConvoScope metric family that a dashboard query names (series suffixes removed)."""
    names = set()
    for target in _dashboard_targets(dashboard):
        for token in _METRIC_TOKEN.findall(target["expr"]):
            for suffix in _SERIES_SUFFIXES:
                if token.endswith(suffix):
                    token = token.removesuffix(suffix)
                    break
            names.add(token)
    return names


@cache
def metrics_defined_in_source() -> frozenset[str]:
    """Names passed to Counter/Gauge/Histogram/Summary in services/ and libs/."""
    names: set[str] = set()
    for root in (REPO / "services", REPO / "libs"):
        for path in root.rglob("*.py"):
            names.update(_METRIC_DEFINITION.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


def test_metric_definitions_are_found_in_the_source() -> None:
    defined = metrics_defined_in_source()
    assert {"convoscope_http_requests_total", "convoscope_analysis_duration_seconds"} <= defined
    assert "convoscope_no_such_metric_total" not in defined


def test_dashboard_queries_only_metrics_the_services_define() -> None:
    queried = queried_metrics(_dashboard())
    unknown = queried - metrics_defined_in_source()
    assert not unknown, f"dashboard queries metrics no service defines: {sorted(unknown)}"


def test_dashboard_shows_the_required_metrics() -> None:
    missing = REQUIRED_DASHBOARD_METRICS - queried_metrics(_dashboard())
    assert not missing, f"dashboard lacks panels for {sorted(missing)}"


def test_dashboard_queries_the_provisioned_datasource() -> None:
    datasources = _load_yaml(GRAFANA_PROVISIONING / "datasources" / "prometheus.yml")
    (prometheus,) = datasources["datasources"]
    assert prometheus["type"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"
    dashboard = _dashboard()
    for target in _dashboard_targets(dashboard):
        assert target["datasource"]["uid"] == prometheus["uid"], target["expr"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def _final_stage(dockerfile: str) -> list[str]:
    """The instructions of the last build stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM "))
    return instructions[last_from:]


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    stage = _final_stage(DOCKERFILE.read_text(encoding="utf-8"))
    assert stage[0].split()[1] == "python:3.11-slim"
    users = [line.split()[1] for line in stage if line.upper().startswith("USER ")]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert any(line.upper().startswith("HEALTHCHECK ") for line in stage)


def test_dockerfile_installs_common_and_every_service() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "COPY libs/common libs/common" in text
    assert "COPY pyproject.toml uv.lock ./" in text
    for name in SERVICE_MODULES:
        assert f"--package convoscope-{name}" in text, name
        assert (REPO / "services" / name / "pyproject.toml").is_file(), name


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("convoscope_healthcheck", HEALTHCHECK_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_image_healthcheck_probes_worker_metrics(healthcheck: ModuleType) -> None:
    url = healthcheck.health_url({"CONVOSCOPE_METRICS_PORT": "9100"})
    assert url == "http://127.0.0.1:9100/metrics"


def test_image_healthcheck_probes_gateway_health(healthcheck: ModuleType) -> None:
    assert healthcheck.health_url({}) == "http://127.0.0.1:5000/api/health"
    assert healthcheck.health_url({"CONVOSCOPE_METRICS_PORT": "0", "CONVOSCOPE_PORT": "8080"}) == (
        "http://127.0.0.1:8080/api/health"
    )


def test_image_healthcheck_fails_when_nothing_answers(
    healthcheck: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens, so the probe must report failure.
    monkeypatch.setenv("CONVOSCOPE_METRICS_PORT", "9")
    monkeypatch.setattr(healthcheck, "TIMEOUT_SECONDS", 1.0)
    assert healthcheck.main() == 1


CLUSTER_FILE = REPO / "compose.cluster.yaml"


def test_cluster_override_passes_the_compose_cli_validation() -> None:
    try:
        argv = compose_validator()
    except ComposeValidatorMissing as exc:
        pytest.fail(str(exc))
    done = subprocess.run(
        [*argv, "-f", str(COMPOSE_FILE), "-f", str(CLUSTER_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    merged = yaml.safe_load(done.stdout)["services"]
    nodes = ["nats", "nats-2", "nats-3"]
    for node in nodes:
        command = " ".join(merged[node]["command"])
        assert "--cluster_name convoscope" in command and "-js" in command, node
        # Every node keeps compose.yaml's NATS users and permissions.
        assert "-c /etc/nats/nats.conf" in command, node
        assert len(merged[node].get("secrets", [])) == 5, node
        routes = command.split("--routes ")[1].split()[0].split(",")
        assert sorted(r.split("//")[1].split(":")[0] for r in routes) == sorted(
            n for n in nodes if n != node
        )
    for name in ["provision", "gateway", "ingest", "analyzer", "exporter"]:
        env = merged[name]["environment"]
        assert env["CONVOSCOPE_NATS_REPLICAS"] == "3", name
        assert sorted(env["CONVOSCOPE_NATS_URL"].split(",")) == sorted(
            f"nats://{n}:4222" for n in nodes
        )
        assert env["CONVOSCOPE_HOST"] == "0.0.0.0"  # the base file's variables are kept
