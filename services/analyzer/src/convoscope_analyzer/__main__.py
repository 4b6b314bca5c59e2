"""``python -m convoscope_analyzer``: run one analyzer replica."""

from __future__ import annotations

import sys

# structlog imports rich (a dependency of the CLI in the same environment) for its
# console renderer's tracebacks if it can: 12 MB in every analyzer process for a
# renderer the service does not use (it logs JSON; the console renderer works without
# rich). An entry of None makes ``import rich`` fail, so structlog goes without.
sys.modules.setdefault("rich", None)  # type: ignore[arg-type]

from convoscope_analyzer.job_config import load_job_config  # noqa: E402
from convoscope_analyzer.memory import tune_allocator  # noqa: E402
from convoscope_analyzer.worker import run  # noqa: E402
from convoscope_common.runtime import run_service  # noqa: E402


def main() -> int:
    """Start the analyzer worker until SIGTERM / SIGINT."""
    tune_allocator()  # before any thread starts
    return run_service("analyzer", run, check=load_job_config)


if __name__ == "__main__":
    sys.exit(main())
