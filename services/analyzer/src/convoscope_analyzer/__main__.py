"""``python -m convoscope_analyzer``: run one analyzer replica."""

from __future__ import annotations

import sys

from convoscope_analyzer.job_config import load_job_config
from convoscope_analyzer.memory import tune_allocator
from convoscope_analyzer.worker import run
from convoscope_common.runtime import run_service


def main() -> int:
    """Start the analyzer worker until SIGTERM / SIGINT."""
    tune_allocator()  # before any thread starts
    return run_service("analyzer", run, check=load_job_config)


if __name__ == "__main__":
    sys.exit(main())
