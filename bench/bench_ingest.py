"""Ingest benchmark: time and peak RSS of parsing one upload into the stored corpus.

Each measurement runs in a fresh subprocess so ru_maxrss is that run's own peak. Modes:

- ``floor``: ``msgspec.json.decode`` of the file with the collector off (the yardstick,
  as in bench_e2e.py; for a ZIP, of its conversation files, inflated beforehand);
- ``whole``: what ingest did before streaming: the upload in memory, ``parse_export``,
  then ``encode_corpus`` (the stored bytes);
- ``stream``: what ingest does now: the upload read in 1 MiB pieces and fed to
  ``StreamParser``, which yields the stored bytes (the file is never held whole).

Targets (issue 12): the upload ≤ 10x the floor; peak RSS ≤ 2x the file.

    python bench/bench_ingest.py --size-mb 90               # generates both vendors
    python bench/bench_ingest.py --file some_export.json --file export.zip
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fresh_process import measure  # noqa: E402 - found through HERE

_CHILD = r"""
import gc, io, json, resource, sys, time, zipfile
mode, path = sys.argv[1], sys.argv[2]
import msgspec
from convoscope_common.corpus import encode_corpus
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export
from convoscope_ingest.streaming import StreamParser
import os
size = os.path.getsize(path)
limits = ParseLimits(max_bytes=size + 1)
extra = {}
if mode == "floor":
    data = open(path, "rb").read()
    documents = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            documents = [archive.read(n) for n in archive.namelist()
                         if n.rsplit("/", 1)[-1].startswith("conversations")]
    del data
    gc.collect(); gc.disable()
    start = time.perf_counter()
    for document in documents:
        decoded = msgspec.json.decode(document)
        del decoded
    elapsed = time.perf_counter() - start
elif mode == "whole":
    start = time.perf_counter()
    with open(path, "rb") as f:
        data = f.read()
    parsed = parse_export(data, limits=limits)
    stored = len(encode_corpus(parsed.corpus))
    elapsed = time.perf_counter() - start
    extra = {"conversations": parsed.metadata.conversations,
             "messages": parsed.metadata.messages, "stored": stored}
else:
    start = time.perf_counter()
    parser = StreamParser(size, limits)
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            parser.feed(piece)
    streamed = parser.finish()
    elapsed = time.perf_counter() - start
    extra = {"conversations": streamed.metadata.conversations,
             "messages": streamed.metadata.messages, "stored": streamed.size}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": peak, **extra}))
"""

MB = 1024 * 1024


def bench_file(path: Path) -> None:
    """Measure one file in the three modes and print the figures and ratios."""
    size = path.stat().st_size
    floor = measure(_CHILD, "floor", str(path))
    whole = measure(_CHILD, "whole", str(path))
    stream = measure(_CHILD, "stream", str(path))
    print(
        f"{path.name}: {size / MB:.1f} MB, {stream['conversations']} conversations, "
        f"{stream['messages']} messages; stored corpus {stream['stored'] / MB:.1f} MB"
    )
    print(f"  {'mode':34} {'seconds':>8} {'x floor':>8} {'peak RSS':>9} {'x file':>7}")
    for name, row in (
        ("floor: msgspec decode, GC off", floor),
        ("whole: parse_export+encode_corpus", whole),
        ("stream: StreamParser, 1 MiB feeds", stream),
    ):
        print(
            f"  {name:34} {row['seconds']:8.2f} {row['seconds'] / floor['seconds']:8.1f} "
            f"{row['peak_rss'] / MB:7.0f} MB {row['peak_rss'] / size:6.2f}x"
        )
    assert whole["stored"] == stream["stored"], "stored corpus sizes differ"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ingest memory/speed benchmark")
    parser.add_argument("--file", type=Path, action="append", default=[])
    parser.add_argument("--size-mb", type=float, default=90.0)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    files: list[Path] = list(args.file)
    if not files:
        from generate_export import write_export

        args.out_dir.mkdir(parents=True, exist_ok=True)
        for vendor in ("claude", "chatgpt"):
            path = args.out_dir / f"{vendor}_{args.size_mb:g}mb.json"
            if not path.exists():
                write_export(vendor, int(args.size_mb * 1024 * 1024), path, unique=True)
            files.append(path)
    for path in files:
        bench_file(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
