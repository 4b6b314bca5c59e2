"""Ingest benchmark: peak RSS and time of parse_export against a plain msgspec decode.

Each measurement runs in a fresh subprocess so ru_maxrss is that run's own peak (it
includes the input bytes held in memory). Targets (issue 3): peak RSS under 3x the
file size; parse + normalise within 8x the plain decode time of the same file.

    python bench/bench_ingest.py --size-mb 130            # generates both vendors
    python bench/bench_ingest.py --file some_export.json  # an existing file
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

_CHILD = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
import msgspec
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export
with open(path, "rb") as f:
    data = f.read()
start = time.perf_counter()
if mode == "plain":
    result = msgspec.json.decode(data)
    extra = {}
else:
    parsed = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1))
    extra = {"conversations": parsed.metadata.conversations,
             "messages": parsed.metadata.messages}
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": peak, **extra}))
"""


def _measure(mode: str, path: Path) -> dict[str, float]:
    return measure(_CHILD, mode, str(path))


def bench_file(path: Path) -> None:
    """Measure one file and print the figures and the two ratios."""
    size = path.stat().st_size
    plain = _measure("plain", path)
    ingest = _measure("ingest", path)
    mb = 1024 * 1024
    print(
        f"{path.name}: {size / mb:.1f} MB, {ingest['conversations']} conversations, "
        f"{ingest['messages']} messages"
    )
    print(
        f"  plain msgspec.json.decode: {plain['seconds']:.2f} s, "
        f"peak RSS {plain['peak_rss'] / mb:.0f} MB"
    )
    print(
        f"  parse_export:              {ingest['seconds']:.2f} s, "
        f"peak RSS {ingest['peak_rss'] / mb:.0f} MB"
    )
    time_ratio = ingest["seconds"] / plain["seconds"]
    rss_ratio = ingest["peak_rss"] / size
    print(
        f"  time ratio ingest/plain: {time_ratio:.2f}x (target <= 8x) "
        f"{'OK' if time_ratio <= 8 else 'OVER'}"
    )
    print(
        f"  peak RSS / file size:    {rss_ratio:.2f}x (target < 3x) "
        f"{'OK' if rss_ratio < 3 else 'OVER'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ingest memory/speed benchmark")
    parser.add_argument("--file", type=Path, action="append", default=[])
    parser.add_argument("--size-mb", type=float, default=130.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    files: list[Path] = list(args.file)
    if not files:
        from generate_export import write_export

        args.out_dir.mkdir(parents=True, exist_ok=True)
        for vendor in ("claude", "chatgpt"):
            path = args.out_dir / f"{vendor}_{args.size_mb:g}mb.json"
            if not path.exists():
                write_export(vendor, int(args.size_mb * 1024 * 1024), path)
            files.append(path)
    for path in files:
        bench_file(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
