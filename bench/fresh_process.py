"""Run one measurement in a fresh Python process, so its peak RSS is its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def measure(script: str, *args: str) -> dict[str, float]:
    """Run ``script`` (Python source) with ``args``; it prints one JSON object last."""
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
