"""Container health probe for the ConvoScope image (stdlib only: slim images lack curl).

A worker (``CONVOSCOPE_METRICS_PORT`` > 0) is healthy when its ``/metrics`` answers; the
gateway (no metrics port) when ``/api/health`` answers 200 ("healthy" or "degraded": it
returns 503 only when NATS is unreachable).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 4.0


def health_url(env: Mapping[str, str]) -> str:
    """The URL that tells whether the service configured by ``env`` is up."""
    metrics_port = int(env.get("CONVOSCOPE_METRICS_PORT") or 0)
    if metrics_port > 0:
        return f"http://127.0.0.1:{metrics_port}/metrics"
    port = int(env.get("CONVOSCOPE_PORT") or 5000)
    return f"http://127.0.0.1:{port}/api/health"


def main() -> int:
    """Exit 0 when the probe answers with a 2xx status, 1 otherwise."""
    try:
        with urllib.request.urlopen(health_url(os.environ), timeout=TIMEOUT_SECONDS) as resp:
            return 0 if 200 <= resp.status < 300 else 1
    except (OSError, ValueError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
