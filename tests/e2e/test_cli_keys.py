"""``convoscope analyze --server`` against a stack that requires API keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

from convoscope_stack.stack import Stack
from tests.unit.cli.helpers import DATA, last_json, run_cli

STACK_ENV = {"CONVOSCOPE_API_KEYS": "key-one,key-two"}


def _analyze(
    stack: Stack, out: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "analyze",
        str(DATA / "claude_sample.json"),
        "--server",
        stack.url,
        "--out",
        str(out),
        "--format",
        "json,pdf",
        *extra,
        env=env,
    )


def test_without_a_key_exits_4(stack: Stack, tmp_path: Path) -> None:
    done = _analyze(stack, tmp_path, "-q", env={"CONVOSCOPE_API_KEY": ""})
    assert done.returncode == 4, done.stderr
    assert "401" in done.stderr
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_a_wrong_key_exits_4(stack: Stack, tmp_path: Path) -> None:
    done = _analyze(stack, tmp_path, "-q", "--api-key", "not-a-key")
    assert done.returncode == 4, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_key_from_the_option_or_the_environment(stack: Stack, tmp_path: Path) -> None:
    by_option = _analyze(stack, tmp_path / "a", "--json", "--api-key", "key-one")
    assert by_option.returncode == 0, by_option.stderr
    summary = last_json(by_option.stdout)
    assert summary["mode"] == "server"
    assert sorted(Path(p).suffix for p in summary["files"]) == [".json", ".pdf"]
    by_env = _analyze(stack, tmp_path / "b", "-q", env={"CONVOSCOPE_API_KEY": "key-two"})
    assert by_env.returncode == 0, by_env.stderr
    assert sorted(p.suffix for p in (tmp_path / "b").iterdir()) == [".json", ".pdf"]
