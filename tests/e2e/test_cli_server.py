"""``convoscope`` against the running stack, and in-process results equal the service's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from convoscope_stack.stack import Stack
from tests.export_texts import load_generator
from tests.unit.cli.helpers import DATA, MALFORMED, SAMPLES, last_json, run_cli, zip_members


def _analyze(export: Path, out: Path, *extra: str) -> dict[str, Any]:
    done = run_cli("analyze", str(export), "--out", str(out), "--json", *extra)
    assert done.returncode == 0, done.stderr
    return last_json(done.stdout)


def _canonical(data: object) -> str:
    """JSON text with sorted keys: unlike ``==``, it tells 58 from 58.0."""
    return json.dumps(data, sort_keys=True)


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


@pytest.fixture(scope="module")
def generated_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large enough (> detection.MIN_MESSAGES) for detection on several cores."""
    path = tmp_path_factory.mktemp("generated") / "conversations.json"
    path.write_bytes(load_generator().generate_claude_export(300, seed=3))
    return path


@pytest.mark.parametrize("sample", [*SAMPLES, "generated"])
def test_in_process_results_equal_the_services(
    stack: Stack, sample: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    export = request.getfixturevalue("generated_export") if sample == "generated" else DATA / sample
    formats = ("--format", "json,csv")
    served = _analyze(export, tmp_path / "served", "--server", stack.url, *formats)
    # Two processes: detection and rendering in parallel, whatever this machine has.
    local = _analyze(export, tmp_path / "local", "--jobs", "2", *formats)
    assert served["mode"] == "server" and local["mode"] == "local"
    assert _without(served, "mode", "files", "out_dir") == _without(
        local, "mode", "files", "out_dir"
    )

    [served_json] = (tmp_path / "served").glob("*.json")
    [local_json] = (tmp_path / "local").glob("*.json")
    theirs, ours = json.loads(served_json.read_bytes()), json.loads(local_json.read_bytes())
    # Everything the analysis computed is equal, down to int vs float; only the time differs.
    assert _canonical(_without(ours["results"], "generated_at")) == _canonical(
        _without(theirs["results"], "generated_at")
    )
    assert ours["results"]["engine_version"] == theirs["results"]["engine_version"]
    volatile = ("export_id", "job_id", "created_at")
    assert _without(ours["manifest"], *volatile) == _without(theirs["manifest"], *volatile)

    # The CSV bundle is rendered from the redacted corpus: equal member by member.
    [served_zip] = (tmp_path / "served").glob("*.zip")
    [local_zip] = (tmp_path / "local").glob("*.zip")
    skip = ("manifest.json",)
    assert zip_members(local_zip.read_bytes(), skip) == zip_members(served_zip.read_bytes(), skip)


def test_server_run_writes_every_format_and_shows_steps(stack: Stack, tmp_path: Path) -> None:
    done = run_cli(
        "analyze",
        str(DATA / "chatgpt_sample.json"),
        "--server",
        stack.url,
        "--out",
        str(tmp_path),
        "--timezone",
        "Europe/Paris",
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.suffix for p in tmp_path.iterdir())
    assert names == [".html", ".json", ".pdf", ".xlsx", ".zip"]
    steps = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert steps[0].startswith("[  0%] Uploading")
    assert steps[-1].startswith("[100%] Done")
    # Steps of the analysis itself can only have come from Socket.IO progress events.
    ours = ("Uploading", "Uploaded", "Rendering reports", "Downloading reports", "Done")
    assert [line for line in steps if not any(word in line for word in ours)], steps
    assert "Europe/Paris" in done.stdout
    document = json.loads(next(tmp_path.glob("*.json")).read_bytes())
    assert document["results"]["options"]["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(
    "name", ["truncated.json", "document.pdf", "zip_encrypted.zip", "not_export_object.json"]
)
def test_rejected_by_the_server_like_in_process(stack: Stack, name: str, tmp_path: Path) -> None:
    served = run_cli("analyze", str(MALFORMED / name), "--server", stack.url, "-q")
    local = run_cli("analyze", str(MALFORMED / name), "-q")
    assert served.returncode == local.returncode == 3, (served.stderr, local.stderr)
    assert served.stderr == local.stderr
    assert len(served.stderr.splitlines()) == 1


def test_include_pii_refused_by_the_server_exits_4(stack: Stack, tmp_path: Path) -> None:
    done = run_cli(
        "analyze",
        str(DATA / "claude_sample.json"),
        "--server",
        stack.url,
        "--out",
        str(tmp_path),
        "--no-redact",
        "--yes-include-personal-data",
        "-q",
    )
    assert done.returncode == 4, done.stderr
    assert "403" in done.stderr and "CONVOSCOPE_ALLOW_INCLUDE_PII" in done.stderr


def test_doctor_sees_the_stack(stack: Stack) -> None:
    done = run_cli(
        "doctor", "--server", stack.url, "--json", env={"CONVOSCOPE_NATS_URL": stack.nats_url}
    )
    report = last_json(done.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["server"]["level"] == "ok", checks["server"]
    assert "gateway" in checks["server"]["detail"]
    for service in ("ingest", "analyzer", "exporter"):
        assert service in checks["server"]["detail"]
    assert checks["nats"]["level"] == "ok", checks["nats"]
    assert "JetStream on" in checks["nats"]["detail"]
    assert checks["python"]["level"] == "ok"
    assert done.returncode == (0 if report["ok"] else 1)
