"""``convoscope`` installed the way a person without the repository's tooling installs it.

The workspace packages are built from this checkout and installed, not editable, into a
fresh virtualenv beside the locked versions of their dependencies (``uv export`` of
uv.lock; ``--no-sources`` so the workspace's editable sources are not used): what
``pipx install ./cli --preinstall ...`` or ``pip install ./libs/common ... ./cli`` does
(docs/cli.md). Then the installed console script analyses an export from a folder
outside the checkout, so nothing is imported from the source tree. The packages' data
(cue files, taxonomy, fonts) must be in the built wheels for the reports to come out.

Dependencies come from uv's cache when ``make install`` has filled it, else from PyPI.
With ``pipx`` on the PATH the documented pipx command is run as well.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["libs/common", "services/ingest", "services/analyzer", "services/exporter", "stack"]
UV = Path(sys.executable).with_name("uv")
SAMPLE = REPO / "tests" / "data" / "multilingual_conversations.json"

pytestmark = pytest.mark.timeout(900)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=800,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert done.returncode == 0, f"{args[:3]}: {done.stderr[-3000:]}"
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points Python at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


def _analyse_with(convoscope: Path, tmp: Path) -> dict[str, object]:
    out = _run(
        convoscope, "analyze", SAMPLE, "--out", "reports", "--format", "html,xlsx,pdf,csv,json",
        "--json", cwd=tmp, env=_clean_env(),
    )  # fmt: skip
    summary: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "complete"
    assert summary["conversations"] == 7
    assert sorted(p.name for p in (tmp / "reports").iterdir()) == sorted(
        f"convoscope-local.{ext}" for ext in ("html", "xlsx", "pdf", "zip", "json")
    )
    return summary


@pytest.mark.skipif(not UV.exists(), reason="uv (the dev group's) is not installed")
def test_a_fresh_virtualenv_gets_a_working_convoscope(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    _run(
        UV, "export", "--frozen", "--no-dev", "--no-emit-workspace", "--package",
        "convoscope-cli", "--format", "requirements-txt", "-q", "-o", requirements,
        cwd=REPO, env=_clean_env(),
    )  # fmt: skip
    venv = tmp_path / "venv"
    _run(UV, "venv", "-q", venv, "--python", sys.executable, cwd=tmp_path, env=_clean_env())
    python = venv / "bin" / "python"
    _run(
        UV, "pip", "install", "-q", "--no-sources", "--python", python, "-r", requirements,
        *(REPO / p for p in PACKAGES), REPO / "cli", cwd=tmp_path, env=_clean_env(),
    )  # fmt: skip
    # Installed, not linked to the checkout.
    where = _run(
        python, "-c",
        "import convoscope_analyzer, convoscope_cli; print(convoscope_analyzer.__file__)",
        cwd=tmp_path, env=_clean_env(),
    )  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv), where
    assert not any(venv.glob("lib/python*/site-packages/*convoscope*.pth"))
    version = _run(venv / "bin" / "convoscope", "--version", cwd=tmp_path, env=_clean_env())
    assert version.startswith("convoscope ")
    summary = _analyse_with(venv / "bin" / "convoscope", tmp_path)
    # Issue 19: the installed command says which languages sentiment did not read.
    assert summary["sentiment_languages"] == ["en"]
    assert summary["not_scored_by_language"]


@pytest.mark.skipif(shutil.which("pipx") is None, reason="pipx is not on the PATH")
def test_the_documented_pipx_command(tmp_path: Path) -> None:
    home = tmp_path / "pipx"
    env = _clean_env(PIPX_HOME=str(home / "home"), PIPX_BIN_DIR=str(home / "bin"))
    preinstall = [arg for p in PACKAGES for arg in ("--preinstall", f"./{p}")]
    _run("pipx", "install", "./cli", *preinstall, cwd=REPO, env=env)
    _analyse_with(home / "bin" / "convoscope", tmp_path)
