"""Run every benchmark in this folder, one after the other, printing their figures.

Each benchmark is a standalone script; this runner only sequences them so that
ratios are measured on the same machine in one sitting. Pass names to run a
subset: ``python bench/run_all.py bench_engine bench_ingest``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Helpers that are imported by benchmarks, not benchmarks themselves.
NOT_BENCHMARKS = {"run_all.py", "generate_export.py", "synthetic_corpus.py", "fresh_process.py"}
# Drive a stack that is already running; run only when named.
NEEDS_A_RUNNING_STACK = {"bench_e2e.py", "bench_dashboard.py"}


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default); non-zero if any failed."""
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    if argv:
        scripts = [p for p in scripts if p.stem in argv]
    else:
        scripts = [p for p in scripts if p.name not in NEEDS_A_RUNNING_STACK]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"--- {script.name}: exit {code}, {time.perf_counter() - started:.1f} s", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
