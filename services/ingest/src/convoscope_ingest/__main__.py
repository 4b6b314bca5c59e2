"""``python -m convoscope_ingest``: run the ingest service."""

from __future__ import annotations

import sys

from convoscope_common.runtime import run_service
from convoscope_ingest.service import run


def main() -> int:
    """Start the ingest service until SIGTERM / SIGINT."""
    return run_service("ingest", run)


if __name__ == "__main__":
    sys.exit(main())
