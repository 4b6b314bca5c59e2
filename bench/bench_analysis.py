"""Analysis benchmark (issue 4, point 11): the worker's time and peak RSS on a big export.

On a generated export of >= 120,000 messages, full analysis with every option on must
take no more than 50x a plain ``msgspec.json.decode`` of the same file (measured in the
same run), and the worker's peak RSS must stay under 2.5x the file size.

Each measurement runs in a fresh subprocess so ru_maxrss is that run's own peak:

(a) plain     ``msgspec.json.decode`` of the export file with the garbage collector
              off (the time yardstick);
(b) ingest    ``parse_export`` -> ``encode_corpus``, written to a temporary file (what
              the ingest service stores);
(c) worker    what ``convoscope_analyzer.worker`` does with one job: read the corpus
              bytes, ``load_corpus``, ``run_pipeline(..., in_place=True)`` with
              ``AnalysisOptions()`` (every option on, privacy on,
              ``privacy_config_from_env``), then ``encode_results`` and
              ``encode_corpus`` of the redacted corpus, one after the other. Its peak
              RSS includes the imports (numpy, scikit-learn, VADER) and the warm-up the
              service does at start; the time is the job's alone.

Figures only, no assertions.

    python bench/bench_analysis.py                       # generated claude.ai export
    python bench/bench_analysis.py --vendor chatgpt
    python bench/bench_analysis.py --file some_export.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

MIN_MESSAGES = 120_000
TIME_TARGET = 50.0  # worker time / plain decode time
RSS_TARGET = 2.5  # worker peak RSS / file size

# The yardstick runs with the collector off: with it on, a decode of 130 MB spends
# three quarters of its time walking objects it just made, which flatters every ratio.
_PLAIN = r"""
import gc, json, resource, sys, time
import msgspec
with open(sys.argv[1], "rb") as f:
    data = f.read()
gc.disable()
start, cpu = time.perf_counter(), time.process_time()
decoded = msgspec.json.decode(data)
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_rss": peak}))
"""

_INGEST = r"""
import json, resource, sys, time
from convoscope_common.corpus import encode_corpus
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export
with open(sys.argv[1], "rb") as f:
    data = f.read()
start = time.perf_counter()
parsed = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1))
blob = encode_corpus(parsed.corpus)
with open(sys.argv[2], "wb") as out:
    out.write(blob)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": peak,
                  "conversations": parsed.metadata.conversations,
                  "messages": parsed.metadata.messages, "corpus_bytes": len(blob)}))
"""

# Mirrors AnalyzerWorker._run: service start (imports, warm_up), then one job.
_WORKER = r"""
import json, os, resource, sys, time
from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.engine import warm_up
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import privacy_config_from_env
from convoscope_common.corpus import encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import encode_results
privacy = privacy_config_from_env(os.environ)
t0 = time.perf_counter()
warm_up()
warm = time.perf_counter() - t0
start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as f:
    corpus = load_corpus(f.read())
messages = sum(len(c.messages) for c in corpus.conversations)
output = run_pipeline(corpus, AnalysisOptions(), privacy, in_place=True)
del corpus
# AnalyzerWorker._store_results: one blob at a time, each stored and freed, and the
# result objects freed before the corpus is encoded.
results, redacted = output.results, output.redacted_corpus
del output
blob = encode_results(results)
del results
results_bytes = len(blob)
del blob
blob = encode_corpus(redacted)
del redacted
redacted_bytes = len(blob)
del blob
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_rss": peak, "warm_up": warm,
                  "rss_after_warm_up": start_rss, "messages": messages,
                  "results_bytes": results_bytes, "redacted_bytes": redacted_bytes}))
"""


def bench_file(path: Path, workdir: Path) -> None:
    """Measure one export file and print the figures and the two ratios."""
    mb = 1024 * 1024
    size = path.stat().st_size
    corpus_path = workdir / f"{path.stem}.corpus.msgpack"
    plain = measure(_PLAIN, str(path))
    ingest = measure(_INGEST, str(path), str(corpus_path))
    worker = measure(_WORKER, str(corpus_path))
    messages = int(ingest["messages"])
    print(
        f"{path.name}: {size / mb:.1f} MB, {int(ingest['conversations']):,} conversations, "
        f"{messages:,} messages"
        + ("" if messages >= MIN_MESSAGES else f" (BELOW the {MIN_MESSAGES:,} asked for)")
    )
    print(
        f"  (a) plain msgspec.json.decode, GC off: {plain['seconds']:7.2f} s, "
        f"peak RSS {plain['peak_rss'] / mb:6.0f} MB"
    )
    print(
        f"  (b) ingest parse+encode:       {ingest['seconds']:7.2f} s, "
        f"peak RSS {ingest['peak_rss'] / mb:6.0f} MB, corpus {ingest['corpus_bytes'] / mb:.0f} MB"
    )
    print(
        f"  (c) worker job:                {worker['seconds']:7.2f} s, "
        f"peak RSS {worker['peak_rss'] / mb:6.0f} MB "
        f"(after imports + warm-up {worker['rss_after_warm_up'] / mb:.0f} MB, "
        f"warm-up {worker['warm_up']:.1f} s)"
    )
    print(
        f"      results {worker['results_bytes'] / mb:.1f} MB, "
        f"redacted corpus {worker['redacted_bytes'] / mb:.0f} MB, "
        f"{messages / worker['seconds']:,.0f} messages/s"
    )
    time_ratio = worker["seconds"] / plain["seconds"]
    # On a shared machine a long job and a short decode are stretched differently by
    # the other processes; CPU seconds are steadier.
    print(
        f"  CPU: worker {worker['cpu']:.2f} s / plain decode {plain['cpu']:.2f} s = "
        f"{worker['cpu'] / plain['cpu']:.1f}x"
    )
    rss_ratio = worker["peak_rss"] / size
    print(
        f"  time worker/plain decode: {time_ratio:6.1f}x (target <= {TIME_TARGET:g}x) "
        f"{'OK' if time_ratio <= TIME_TARGET else 'OVER'}"
    )
    print(
        f"  worker peak RSS / file:   {rss_ratio:6.2f}x (target < {RSS_TARGET:g}x) "
        f"{'OK' if rss_ratio < RSS_TARGET else 'OVER'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="analysis speed/memory benchmark")
    parser.add_argument("--file", type=Path, action="append", default=[])
    parser.add_argument("--vendor", choices=("claude", "chatgpt"), default="claude")
    # 150 MB of the generated claude.ai export holds about 125,000 visible messages.
    parser.add_argument("--size-mb", type=float, default=150.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    files: list[Path] = list(args.file)
    if not files:
        from generate_export import write_export

        args.out_dir.mkdir(parents=True, exist_ok=True)
        path = args.out_dir / f"{args.vendor}_{args.size_mb:g}mb.json"
        if not path.exists():
            write_export(args.vendor, int(args.size_mb * 1024 * 1024), path)
        files.append(path)
    with tempfile.TemporaryDirectory(prefix="bench_analysis_") as workdir:
        for path in files:
            bench_file(path, Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
