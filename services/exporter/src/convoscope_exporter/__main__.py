"""``python -m convoscope_exporter``: run the exporter service."""

from __future__ import annotations

import sys

from convoscope_common.runtime import run_service
from convoscope_exporter.worker import run


def main() -> int:
    """Start the exporter worker until SIGTERM / SIGINT."""
    return run_service("exporter", run)


if __name__ == "__main__":
    sys.exit(main())
