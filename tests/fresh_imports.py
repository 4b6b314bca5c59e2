"""Which heavy libraries a piece of code loads when it runs in a fresh interpreter (the
analyzer's shards and service must not import scikit-learn, SciPy or NumPy themselves)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence


def loaded_after(code: str, modules: Sequence[str], timeout: float) -> list[str]:
    """Run ``code`` in a fresh ``python -c`` and return which of ``modules`` it left
    imported (sorted); its own output is ignored, a failure raises."""
    probe = "\nimport sys as _sys, json as _json\n" + (
        f"print(_json.dumps(sorted(m for m in {list(modules)!r} if m in _sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code + probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded
