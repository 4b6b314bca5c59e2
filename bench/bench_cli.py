"""``convoscope analyze`` in-process on a large export: seconds, and x the decode floor.

The floor is a plain ``msgspec.json.decode`` of the same file with the garbage collector
off, in a fresh process: no program that reads the export can be faster. The CLI run is
the whole command as a user runs it (process start, imports, parse, privacy, engine,
every report format rendered, files written), timed from outside.

    python bench/bench_cli.py                    # generated claude.ai export, ~125k messages
    python bench/bench_cli.py --file export.json --jobs 1 --jobs 2

Figures only, no assertions. On a shared machine the wall time depends on the load
(printed); the CPU seconds of the command (render workers included) depend on it less.
The export is larger than the default upload limit, so the run raises
CONVOSCOPE_MAX_UPLOAD_BYTES for itself (the service would need the same).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

_FLOOR = r"""
import gc, json, sys, time
import msgspec
with open(sys.argv[1], "rb") as f:
    data = f.read()
gc.disable()
start = time.perf_counter()
decoded = msgspec.json.decode(data)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def run_cli(path: Path, jobs: int, out: Path) -> tuple[float, float, dict[str, object]]:
    """Wall and CPU seconds (its render workers included) of one ``convoscope analyze
    --json`` run, and its summary."""
    command = Path(sys.executable).with_name("convoscope")
    env = {**os.environ, "CONVOSCOPE_MAX_UPLOAD_BYTES": str(path.stat().st_size + 1)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(command), "analyze", str(path), "--out", str(out), "--json", "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"convoscope exited {done.returncode}: {done.stderr.strip()}")
    summary: dict[str, object] = json.loads(done.stdout)
    return elapsed, cpu, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="convoscope analyze benchmark")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--vendor", choices=("claude", "chatgpt"), default="claude")
    # 150 MB of the generated claude.ai export holds about 125,000 visible messages.
    parser.add_argument("--size-mb", type=float, default=150.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    parser.add_argument("--jobs", type=int, action="append", help="render processes (repeat)")
    args = parser.parse_args(argv)
    path: Path | None = args.file
    if path is None:
        from generate_export import write_export

        args.out_dir.mkdir(parents=True, exist_ok=True)
        path = args.out_dir / f"{args.vendor}_{args.size_mb:g}mb.json"
        if not path.exists():
            write_export(args.vendor, int(args.size_mb * 1024 * 1024), path)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    floor = measure(_FLOOR, str(path))["seconds"]
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"{path.name}: {size_mb:.1f} MB; {cores} cores; load {os.getloadavg()[0]:.1f}")
    print(f"  floor: msgspec.json.decode, GC off      {floor:8.2f} s")
    for jobs in args.jobs or [cores or 1]:
        with tempfile.TemporaryDirectory(prefix="bench_cli_") as out:
            seconds, cpu, summary = run_cli(path, jobs, Path(out))
        messages = int(summary["messages"])  # type: ignore[call-overload]
        print(
            f"  convoscope analyze, --jobs {jobs}:       {seconds:8.2f} s  "
            f"({seconds / floor:5.0f}x the floor; {messages:,} messages, "
            f"{messages / seconds:,.0f} messages/s, 5 formats); CPU {cpu:.1f} s "
            f"({cpu / floor:.0f}x the floor)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
