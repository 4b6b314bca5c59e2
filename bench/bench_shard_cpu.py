"""CPU per message of one analyse shard and one detect (privacy scan) shard, before and
after a change, in one run.

    git archive main services/analyzer/src libs/common/src | tar -x -C /tmp/before
    .venv/bin/python bench/bench_shard_cpu.py --file /work/bench90/conversations.json \
        --before /tmp/before --rounds 5

Parses the export as ingest does, keeps its first ``--messages`` messages (whole
conversations: a shard's share of a 63,704-message export on 4 shards is about 16,000)
and writes them encoded to a temporary file. Then fresh processes, one per code tree
(``--before``: a directory holding ``services/analyzer/src`` and ``libs/common/src`` of
the older code; the worktree's own code is "after"), each decode that corpus, freeze it
from the collector as the shard worker does (``collector.long_lived_frozen``; the
collector stays on), warm up, and time ``shard_partial`` (analyse) and
``record_detections`` (detect) ``--rounds`` times, interleaved, in CPU seconds of the
process (``time.process_time``). Prints the best and the median round per tree and the
ratio after/before, and whether both trees gave equal partials and detections. No
result is cached between rounds: every round scores every text again. Figures only.

With ``--instructions`` each stage runs once per tree under valgrind's cachegrind and
the instructions it executed are printed instead (the set-up's count, from a run that
stops before the stage, subtracted): deterministic where the timings of a shared
machine move by ±15 %. Use ``--messages 2000`` (valgrind runs ~50× slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

_CHILD = r"""
import gc, hashlib, json, sys, time
import msgspec
from convoscope_common import collector
from convoscope_common.corpus import decode_corpus
from convoscope_analyzer.engine import warm_up
from convoscope_analyzer.engine.options import engine_options
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.sharded import shard_partial
from convoscope_analyzer.shard_redaction import record_detections
from convoscope_common.options import AnalysisOptions

path, stage, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
corpus = decode_corpus(open(path, "rb").read())
n = len(corpus.conversations)
opts = engine_options(AnalysisOptions(), None, None)
plan = ShardPlan(fallback_language="en")
privacy = PrivacyConfig()
warm_up()
small = msgspec.structs.replace(corpus, conversations=corpus.conversations[:20])
shard_partial(small, 0, plan, opts)
record_detections(small, privacy, 0, 20)

def run():
    if stage == "analyse":
        return shard_partial(corpus, 0, plan, opts)
    return record_detections(corpus, privacy, 0, n)

times = []
digest = ""
with collector.long_lived_frozen():
    for _ in range(rounds if stage != "none" else 0):
        start = time.process_time()
        out = run()
        times.append(time.process_time() - start)
        digest = hashlib.sha256(msgspec.msgpack.encode(out)).hexdigest()
        del out
print(json.dumps({"times": times, "digest": digest}))
"""


def _corpus_file(args: argparse.Namespace, folder: Path) -> tuple[Path, int]:
    import msgspec

    from convoscope_common.corpus import encode_corpus
    from convoscope_ingest.parsing import ParseLimits, parse_export

    data = args.file.read_bytes()
    corpus = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus
    del data
    count = end = 0
    while end < len(corpus.conversations) and count < args.messages:
        count += len(corpus.conversations[end].messages)
        end += 1
    part = msgspec.structs.replace(corpus, conversations=corpus.conversations[:end])
    path = folder / "part.msgpack"
    path.write_bytes(encode_corpus(part))
    return path, count


def _run(tree: Path | None, path: Path, stage: str, rounds: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if tree is not None:
        roots = [tree / "services/analyzer/src", tree / "libs/common/src"]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in roots)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), stage, str(rounds)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _instructions(tree: Path | None, path: Path, stage: str) -> int:
    """Instructions the child executes for ``stage`` ("none": the set-up alone), counted
    by valgrind's cachegrind (deterministic, whatever the load)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if tree is not None:
        roots = [tree / "services/analyzer/src", tree / "libs/common/src"]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in roots)
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", _CHILD, str(path), stage, "1"],
        capture_output=True, text=True, env=env, cwd="/", check=True,
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise RuntimeError("valgrind printed no instruction count")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--before", type=Path, help="older code tree (see above)")
    parser.add_argument("--messages", type=int, default=16000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2, help="processes per tree and stage")
    parser.add_argument("--stage", action="append", choices=["analyse", "detect"])
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under valgrind (one round each) instead of timing",
    )
    args = parser.parse_args()
    stages = args.stage or ["analyse", "detect"]
    trees: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        trees.insert(0, ("before", args.before))
    with tempfile.TemporaryDirectory() as folder:
        path, count = _corpus_file(args, Path(folder))
        print(f"{args.file.name}: first {count:,} messages; load {os.getloadavg()[0]:.1f}")
        if args.instructions:
            counts: dict[str, int] = {}
            for name, tree in trees:
                setup = _instructions(tree, path, "none")
                for stage in stages:
                    counts[f"{stage} {name}"] = _instructions(tree, path, stage) - setup
                    print(f"  {stage:7s} {name:6s} {counts[f'{stage} {name}'] / 1e6:9.1f} M instr.")
            if args.before:
                for stage in stages:
                    ratio = counts[f"{stage} after"] / counts[f"{stage} before"]
                    print(f"  {stage:7s} after/before {ratio:.3f} (instructions)")
            return 0
        for stage in stages:
            times: dict[str, list[float]] = {name: [] for name, _ in trees}
            digests: dict[str, set[str]] = {name: set() for name, _ in trees}
            for _ in range(args.repeat):  # interleaved: before, after, before, after
                for name, tree in trees:
                    got = _run(tree, path, stage, args.rounds)
                    times[name].extend(got["times"])  # type: ignore[arg-type]
                    digests[name].add(str(got["digest"]))
            best: dict[str, float] = {}
            for name, _ in trees:
                best[name] = min(times[name])
                median = statistics.median(times[name])
                print(
                    f"  {stage:7s} {name:6s} best {best[name]:6.3f} s  median {median:6.3f} s"
                    f"  ({best[name] / count * 1e6:5.1f} us/message)"
                )
            if "before" in best:
                same = digests["before"] == digests["after"] and len(digests["after"]) == 1
                print(
                    f"  {stage:7s} after/before {best['after'] / best['before']:.3f} (best); "
                    f"outputs {'equal' if same else 'DIFFERENT'}"
                )
        print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
