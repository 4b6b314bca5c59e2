"""``convoscope analyze`` in-process, run as the installed console script."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.unit.cli.helpers import DATA, MALFORMED, SAMPLES, last_json, run_cli

EXPECTED_REJECTIONS: dict[str, dict[str, object]] = json.loads(
    (MALFORMED / "expected.json").read_text()
)


@pytest.mark.parametrize("sample", SAMPLES)
def test_analyze_a_sample_writes_every_format(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    done = run_cli("analyze", str(DATA / sample), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert summary["status"] == "complete"
    assert summary["mode"] == "local"
    assert summary["conversations"] > 0 and summary["messages"] > 0
    assert len(summary["date_range"]) == 2
    written = sorted(Path(p).name for p in summary["files"])
    assert written == sorted(
        f"convoscope-local.{ext}" for ext in ("html", "xlsx", "pdf", "zip", "json")
    )
    assert sorted(p.name for p in out.iterdir()) == written
    document = json.loads((out / "convoscope-local.json").read_text())
    assert document["results"]["summary"]["messages"] == summary["messages"]
    assert document["manifest"]["file_hash"] == summary["file_hash"]
    assert summary["file_hash"].startswith("sha256:")
    # --json prints nothing else: no progress lines on stderr either.
    assert done.stderr == ""


def test_plain_output_has_steps_a_table_and_the_paths(tmp_path: Path) -> None:
    done = run_cli(
        "analyze", str(DATA / "claude_sample.json"), "--out", str(tmp_path), "--format", "csv"
    )
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert steps[0].startswith("[  0%] Reading the export")
    assert steps[-1] == "[100%] Done (1 files written)"
    assert any("Detecting personal data" in line for line in steps)
    for what in ("conversations", "messages", "date range", "top topics", "personal data"):
        assert what in done.stdout
    assert str(tmp_path / "convoscope-local.zip") in done.stdout


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    done = run_cli("analyze", str(DATA / "chatgpt_sample.json"), "--out", str(tmp_path), "-q")
    assert done.returncode == 0
    assert (done.stdout, done.stderr) == ("", "")
    assert (tmp_path / "convoscope-local.html").exists()


@pytest.mark.parametrize("name", sorted(EXPECTED_REJECTIONS))
def test_a_malformed_export_exits_3_with_the_apis_code_and_message(
    name: str, tmp_path: Path
) -> None:
    expected = EXPECTED_REJECTIONS[name]
    done = run_cli("analyze", str(MALFORMED / name), "--out", str(tmp_path / "r"), "-q")
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    prefix = f"convoscope: rejected: {expected['status']} {expected['code']}: "
    assert lines[0].startswith(prefix), lines[0]
    assert str(expected["message"]) in lines[0]
    assert not (tmp_path / "r").exists(), "nothing is written for a rejected export"


def test_rejection_as_json(tmp_path: Path) -> None:
    done = run_cli("analyze", str(MALFORMED / "truncated.json"), "--json")
    assert done.returncode == 3
    body = last_json(done.stdout)
    assert body["status"] == "rejected"
    assert body["error"]["code"] == "invalid_json"
    assert body["error"]["status"] == 400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "/no/such/export.json"], "no such file"),
        (["analyze", str(DATA / "claude_sample.json"), "--format", "docx"], "unknown format"),
        (["analyze", str(DATA / "claude_sample.json"), "--timezone", "Mars/Base"], "timezone"),
        (["analyze", str(DATA / "claude_sample.json"), "--filter", "roles=robot"], "role"),
        (["analyze", str(DATA / "claude_sample.json"), "--api-key", "k"], "--server"),
        (["analyze", str(DATA / "claude_sample.json"), "--no-redact"], "confirm"),
        (["analyze"], "EXPORT"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr


def test_unreachable_server_exits_4(tmp_path: Path) -> None:
    done = run_cli(
        "analyze", str(DATA / "claude_sample.json"), "--server", "http://127.0.0.1:9", "-q"
    )
    assert done.returncode == 4
    assert done.stderr.startswith("convoscope: cannot reach http://127.0.0.1:9")


def _with_pii(tmp_path: Path) -> Path:
    text = (DATA / "claude_sample.json").read_text()
    marker = "Here's my feeding log:"
    assert marker in text
    path = tmp_path / "with_pii.json"
    path.write_text(text.replace(marker, "Mail me at jane.doe@example.com. " + marker))
    return path


def _messages_csv(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("messages.csv").decode("utf-8-sig")


def test_personal_data_is_redacted_unless_confirmed(tmp_path: Path) -> None:
    export = _with_pii(tmp_path)
    redacted = run_cli("analyze", str(export), "--out", str(tmp_path / "a"), "--json")
    assert redacted.returncode == 0, redacted.stderr
    assert last_json(redacted.stdout)["pii_by_type"] == {"email": 1}
    assert "jane.doe@example.com" not in _messages_csv(tmp_path / "a" / "convoscope-local.zip")
    kept = run_cli(
        "analyze",
        str(export),
        "--out",
        str(tmp_path / "b"),
        "--format",
        "csv",
        "--no-redact",
        "--yes-include-personal-data",
        "-q",
    )
    assert kept.returncode == 0, kept.stderr
    assert "jane.doe@example.com" in _messages_csv(tmp_path / "b" / "convoscope-local.zip")


def test_filter_reaches_the_reports(tmp_path: Path) -> None:
    done = run_cli(
        "analyze",
        str(DATA / "claude_sample.json"),
        "--out",
        str(tmp_path),
        "--format",
        "json",
        "--filter",
        "roles=user",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "convoscope-local.json").read_text())["manifest"]
    assert manifest["filter"] == {"roles": ["user"]}
    assert manifest["filter_applied"] is True


def test_version_and_help_with_examples() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("convoscope ")
    for command in ([], ["analyze"], ["serve"], ["doctor"]):
        shown = run_cli(*command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "examples:" in shown.stdout, command
    assert "--nats-url" in run_cli("serve", "--help").stdout  # the launcher's options
