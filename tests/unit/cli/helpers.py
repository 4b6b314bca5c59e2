"""Helpers for the CLI tests: run ``convoscope`` as a subprocess, compare rendered files."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"
MALFORMED = REPO / "tests" / "malformed"
SAMPLES = ["claude_sample.json", "claude_sample_legacy.json", "chatgpt_sample.json"]
# The console script next to the interpreter running the tests (make install puts it there).
CONVOSCOPE = str(Path(sys.executable).with_name("convoscope"))


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``convoscope ARGS`` with stdout and stderr captured (not a TTY)."""
    return subprocess.run(
        [CONVOSCOPE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def last_json(stdout: str) -> dict[str, Any]:
    """The one JSON object ``--json`` prints."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    value: dict[str, Any] = json.loads(lines[0])
    return value


def zip_members(data: bytes, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Members of a ZIP (CSV bundle, XLSX) by name, leaving out ``skip``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n not in skip}


_PDF_VOLATILE = re.compile(rb"/(CreationDate|ModDate) \([^)]*\)|/ID\s*\[[^\]]*\]")


def pdf_stable(data: bytes) -> bytes:
    """A PDF without the creation time and document id reportlab writes."""
    return _PDF_VOLATILE.sub(b"", data)


def comparable(fmt: str, data: bytes) -> object:
    """What must be equal between two renderings of one format with one manifest.

    XLSX and PDF carry the time they were written (document properties), nothing else
    that varies; the other formats must be byte-identical.
    """
    if fmt == "xlsx":
        return zip_members(data, skip=("docProps/core.xml",))
    if fmt == "pdf":
        return pdf_stable(data)
    return data


def render_one_by_one(formats: list[str], *args: Any, **kwargs: Any) -> list[Any]:
    """The exporter's files rendered format after format in this process (the yardstick
    for parallel rendering): the results and corpus, then ``export_request``'s keywords."""
    from convoscope_exporter.pipeline import export_request, prepare_export

    results, corpus = args
    prepared = prepare_export(export_request(formats, **kwargs), results, corpus)
    return [file for fmt in prepared.formats for file in prepared.render(fmt)]
