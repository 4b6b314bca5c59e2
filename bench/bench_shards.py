"""Sharded analysis on 1 and 2 (or N) processes: redaction + engine, in seconds and x the floor.

What is timed is the analysis a job runs (personal-data detection and redaction, then the
engine), from a loaded corpus to merged results, as ``convoscope analyze`` runs it
(``convoscope_cli.pool.analyze_on_cores``); the service's one-process ``run_pipeline`` on
the same corpus is the reference. Each run happens in a fresh process. The floor is a
plain ``msgspec.json.decode`` of the export with the garbage collector off.

    python bench/bench_shards.py --size-mb 20 --jobs 1 --jobs 2

Figures only, no assertions. The export is generated with ``--unique`` texts (>= 95 %
distinct), so no per-text cache could flatter a figure. On a shared machine the wall
time depends on the load (printed with each run).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

_FLOOR = r"""
import gc, json, sys, time
import msgspec
data = open(sys.argv[1], "rb").read()
gc.disable()
start = time.perf_counter()
msgspec.json.decode(data)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

_RUN = r"""
import json, os, sys, time
from convoscope_analyzer.engine import warm_up
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_cli.pool import analyze_on_cores
from convoscope_common.corpus import decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_ingest.parsing import ParseLimits, parse_export

path, mode = sys.argv[1], sys.argv[2]
limits = ParseLimits(max_bytes=os.path.getsize(path) + 1)
parsed = parse_export(open(path, "rb").read(), limits=limits)
corpus = decode_corpus(encode_corpus(parsed.corpus))
messages = sum(len(c.messages) for c in corpus.conversations)
del parsed
warm_up()
wall, cpu = time.perf_counter(), time.process_time()
children = os.times()
if mode == "service":
    run_pipeline(corpus, AnalysisOptions(), PrivacyConfig(), in_place=True)
else:
    analyze_on_cores(corpus, AnalysisOptions(), PrivacyConfig(), jobs=int(mode), in_place=True)
after = os.times()
print(json.dumps({
    "seconds": time.perf_counter() - wall,
    "cpu": (time.process_time() - cpu)
    + (after.children_user + after.children_system)
    - (children.children_user + children.children_system),
    "messages": messages,
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    parser.add_argument("--jobs", type=int, action="append", help="processes (repeat)")
    args = parser.parse_args()
    path = args.file
    if path is None:
        from generate_export import write_export

        args.out_dir.mkdir(parents=True, exist_ok=True)
        path = args.out_dir / f"claude_unique_{args.size_mb:g}mb.json"
        if not path.exists():
            write_export("claude", int(args.size_mb * 1024 * 1024), path, unique=True)
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"{path.name}: {size_mb:.1f} MB; {os.cpu_count()} cores")
    floor = measure(_FLOOR, str(path))["seconds"]
    print(f"  floor: msgspec.json.decode, GC off      {floor:8.2f} s")
    runs = ["service", *[str(j) for j in (args.jobs or [1, 2])]]
    first: float | None = None
    for mode in runs:
        load = os.getloadavg()[0]
        got = measure(_RUN, str(path), mode)
        label = "run_pipeline (service)" if mode == "service" else f"sharded, {mode} process(es)"
        if mode != "service" and first is None:
            first = got["seconds"]
        speed = f"  {first / got['seconds']:.2f}x the 1st sharded" if first else ""
        print(
            f"  {label:28s} {got['seconds']:8.2f} s ({got['seconds'] / floor:6.1f}x floor; "
            f"{int(got['messages']):,} messages); CPU {got['cpu']:.1f} s; load {load:.1f}{speed}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
