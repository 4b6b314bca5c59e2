"""Export benchmark on a real-size export: every format's time and peak memory.

Issue 12, point 3: all five formats of a ~90 MB export in at most 30x the floor. The
floor is ``msgspec.json.decode`` of the export with the garbage collector off, measured
in the same run. The analysis runs once (its results and redacted corpus are kept in
``--out-dir`` beside the export, as the analyzer stores them); then, each in a fresh
process so its peak RSS (``ru_maxrss``) is its own:

- per format: what one of the exporter's rendering processes does for that format:
  read the stored results and corpus, decode what the format reads, prepare, render
  into a file (load and render timed apart; the interpreter's start is not counted);
- all five formats as the service renders them: the stored files written, then
  ``spawned.render_in_processes`` with one process per core, each file handed over as
  soon as it is ready (wall time from the start of the load; peak RSS of the parent and
  of the largest renderer).

Figures only, no assertions.

    python bench/bench_exports.py                     # generated 90 MB claude.ai export
    python bench/bench_exports.py --file conversations.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

FORMATS = ("csv", "xlsx", "pdf", "html", "json")
TARGET = 30.0

_FLOOR = r"""
import gc, json, sys, time
import msgspec
with open(sys.argv[1], "rb") as f:
    data = f.read()
gc.disable()
start, cpu = time.perf_counter(), time.process_time()
decoded = msgspec.json.decode(data)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}))
"""

# The analyzer's output for the export, stored the way the analyzer stores it.
_ANALYSE = r"""
import json, os, sys
from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import privacy_config_from_env
from convoscope_common.corpus import encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import encode_results
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export
with open(sys.argv[1], "rb") as f:
    data = f.read()
parsed = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1))
del data
corpus = load_corpus(encode_corpus(parsed.corpus))
del parsed
output = run_pipeline(corpus, AnalysisOptions(), privacy_config_from_env(os.environ), in_place=True)
with open(sys.argv[2], "wb") as out:
    out.write(encode_results(output.results))
with open(sys.argv[3], "wb") as out:
    out.write(encode_corpus(output.redacted_corpus))
print(json.dumps({"messages": output.results.summary.messages}))
"""

# As the exporter service does. Since issue 12's second memory pass
# (``convoscope_exporter.spawned``) the stored results and corpus are files that a fresh
# process per format reads; before it, the service handed the stored bytes to forked
# renderers (``StoredExport(formats, results, corpus, ...)``). ``load`` returns what
# ``render_all`` takes either way.
_LOAD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
try:
    from convoscope_exporter.spawned import render_in_processes
    from convoscope_exporter.pipeline import export_request
    from convoscope_exporter.stored import StoredExport
    SPAWNED = True
except ImportError:
    from convoscope_exporter.stored import StoredExport
    from convoscope_exporter.parallel import render_formats
    SPAWNED = False
def load(results_path, corpus_path, formats):
    with open(results_path, "rb") as f:
        results = bytearray(f.read())
    with open(corpus_path, "rb") as f:
        corpus = bytearray(f.read())
    if SPAWNED:
        request = export_request(formats, export_id="bench", job_id="bench", include_pii=False)
        directory = Path(tempfile.mkdtemp(prefix="bench-exports-"))
        return StoredExport.write(request, directory, results, corpus)
    return StoredExport(formats, results, corpus, export_id="bench", job_id="bench",
                        include_pii=False)
def render_one(source, fmt):
    if SPAWNED:
        return [Path(f.path).stat().st_size
                for f in source.render_into(fmt, source.directory / f"out-{fmt}")]
    return [len(f.data) for f in source.prepared_for(fmt).render(fmt)]
def render_all(source, processes, on_rendered):
    if SPAWNED:
        render_in_processes(source, processes,
                            lambda fmt, files: on_rendered(fmt, [Path(f.path).stat().st_size
                                                                 for f in files]))
    else:
        def handed(fmt, files, done, total):
            on_rendered(fmt, [len(f.data) for f in files])
        render_formats(source, processes, handed, keep=False)
"""

_ONE = (
    _LOAD
    + r"""
fmt = sys.argv[3]
start, cpu = time.perf_counter(), time.process_time()
source = load(sys.argv[1], sys.argv[2], [fmt])
loaded = time.perf_counter()
sizes = render_one(source, fmt)
rendered = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"load": loaded - start, "render": rendered - loaded, "peak_rss": peak,
                  "cpu": time.process_time() - cpu, "bytes": sum(sizes)}))
"""
)

_ALL = (
    _LOAD
    + r"""
from convoscope_exporter.parallel import available_cores
formats = sys.argv[3].split(",")
ready = {}
start, cpu = time.perf_counter(), time.process_time()
source = load(sys.argv[1], sys.argv[2], formats)
loaded = time.perf_counter()
def on_rendered(fmt, sizes):
    ready[fmt] = (time.perf_counter() - start, sum(sizes))
render_all(source, available_cores(), on_rendered)  # each format handed over, none kept
elapsed = time.perf_counter() - start
parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN)
child = children.ru_maxrss * 1024
cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
print(json.dumps({"load": loaded - start, "seconds": elapsed, "peak_rss": parent, "cpu": cpu,
                  "child_peak_rss": child, "ready": ready, "cores": available_cores()}))
"""
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="per-format export time and memory")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--size-mb", type=float, default=90.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    path: Path = args.file or args.out_dir / f"claude_{args.size_mb:g}mb_unique.json"
    if not path.exists():
        from generate_export import write_export

        write_export("claude", int(args.size_mb * 1024 * 1024), path, unique=True)
    size = path.stat().st_size
    results_path = args.out_dir / f"{path.stem}.results"
    corpus_path = args.out_dir / f"{path.stem}.redacted"
    if not (results_path.exists() and corpus_path.exists()):
        print(f"analysing {path.name} once (kept in {args.out_dir}) ...", flush=True)
        measure(_ANALYSE, str(path), str(results_path), str(corpus_path))
    mb = 1024 * 1024
    floor_run = measure(_FLOOR, str(path))
    floor, floor_cpu = floor_run["seconds"], floor_run["cpu"]
    print(
        f"{path.name}: {size / mb:.1f} MB; results {results_path.stat().st_size / mb:.1f} MB, "
        f"redacted corpus {corpus_path.stat().st_size / mb:.1f} MB"
    )
    print(f"floor: msgspec.json.decode, GC off: {floor:.2f} s ({floor_cpu:.2f} s CPU)")
    print(
        f"{'format':8} {'load s':>7} {'render s':>9} {'x floor':>8} {'CPU x floor':>12} "
        f"{'MB out':>7} {'peak RSS':>9}"
    )
    for fmt in FORMATS:
        one = measure(_ONE, str(results_path), str(corpus_path), fmt)
        total = one["load"] + one["render"]
        print(
            f"{fmt:8} {one['load']:7.2f} {one['render']:9.2f} {total / floor:8.1f} "
            f"{one['cpu'] / floor_cpu:12.1f} "
            f"{one['bytes'] / mb:7.1f} {one['peak_rss'] / mb:6.0f} MB "
            f"({one['peak_rss'] / size:.2f}x file)"
        )
    both = measure(_ALL, str(results_path), str(corpus_path), ",".join(FORMATS))
    ratio = both["seconds"] / floor
    print(
        f"all five, {int(both['cores'])} processes: {both['seconds']:.2f} s "
        f"(load {both['load']:.2f} s) = {ratio:.1f}x floor (target <= {TARGET:g}x) "
        f"{'OK' if ratio <= TARGET else 'OVER'}; CPU of all processes "
        f"{both['cpu']:.1f} s = {both['cpu'] / floor_cpu:.1f}x the floor's CPU"
    )
    for fmt, (at, _size) in sorted(both["ready"].items(), key=lambda kv: kv[1][0]):
        print(f"  {fmt:6} ready at {at:6.2f} s")
    print(
        f"  peak RSS: parent {both['peak_rss'] / mb:.0f} MB ({both['peak_rss'] / size:.2f}x file), "
        f"largest renderer {both['child_peak_rss'] / mb:.0f} MB "
        f"({both['child_peak_rss'] / size:.2f}x file)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
