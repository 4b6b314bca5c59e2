"""Where an analysis spent its time and memory, from the analyzers' ``analysis_stage`` logs.

Run after ``bench/bench_e2e.py`` against a stack started with ``python -m
convoscope_stack --data-dir D`` (its services log JSON lines to ``D/logs``):

    python bench/bench_stages.py D/logs            # the newest job
    python bench/bench_stages.py D/logs --job JOB_ID

Prints the coordinator's stages in order (wall seconds, CPU seconds of the thread that
ran them, RSS at their end; the ``topic_process`` line carries the topic-model child's
CPU seconds, its imports' CPU, how long its fit waited for them, the fit's CPU and its
peak), then the shard stages summed per kind and replica (how the shards' work spread
over the analyzer processes), how busy each replica's shard slot was within each
stage's span and over both stages (the idle rest is what better hand-overs could win),
and the peak RSS each
replica logged. Figures only.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

# Stages a shard worker logs (on whichever replica ran the shard).
SHARD_STAGES = {
    "shard_input_read",
    "shard_input_decode",
    "shard_detect",
    "shard_analyse",
    "shard_output_encode",
    "shard_output_store",
}


# Figures printed beside a stage (the topic-model child's: its CPU seconds in all, its
# imports' CPU, how long its fit waited for them, the fit's CPU, its peak memory).
NOTES = (
    "bytes",
    "messages",
    "shards",
    "shard_stage",
    "child_cpu_seconds",
    "child_import_cpu_seconds",
    "child_import_waited",
    "child_fit_cpu_seconds",
    "peak_rss_mb",
)


def read_events(logs: Path) -> list[dict[str, Any]]:
    """Every ``analysis_stage`` / job event of the analyzers' logs, in time order."""
    events: list[dict[str, Any]] = []
    for path in sorted(logs.glob("analyzer*.log")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") in ("analysis_stage", "job_complete", "job_sharded"):
                event["replica"] = path.stem
                events.append(event)
    events.sort(key=lambda e: e.get("timestamp", ""))
    return events


def report(events: list[dict[str, Any]], job: str | None) -> None:
    """Print the tables for ``job`` (default: the newest one that completed)."""
    if job is None:
        done = [e["job_id"] for e in events if e.get("event") == "job_complete"]
        if not done:
            raise SystemExit("no completed job in these logs")
        job = done[-1]
    mine = [e for e in events if e.get("job_id") == job]
    print(f"job {job}")
    print(f"{'stage':34} {'replica':12} {'wall s':>8} {'cpu s':>7} {'rss MB':>7}  note")
    shards: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    peak: dict[str, float] = defaultdict(float)
    for e in mine:
        if e.get("rss_mb"):
            peak[e["replica"]] = max(peak[e["replica"]], float(e["rss_mb"]))
        if e.get("event") == "job_complete":
            print(f"{'job complete':34} {e['replica']:12} {e['seconds']:8.2f}")
            continue
        if e.get("event") != "analysis_stage":
            continue
        name = e["stage"]
        if name in SHARD_STAGES or name in ("shard_output_read", "shard_output_decode"):
            kind = f"{name} ({e.get('shard_stage', '')})"
            row = shards[(kind, e["replica"])]
            row[0] += e["seconds"]
            row[1] += e["cpu_seconds"]
            row[2] += 1
            continue
        if name == "redaction_range":
            continue  # summed below with the shard stages
        note = ", ".join(f"{k}={e[k]}" for k in NOTES if k in e)
        print(
            f"{name:34} {e['replica']:12} {e['seconds']:8.2f} {e['cpu_seconds']:7.2f} "
            f"{e.get('rss_mb') or 0:7.1f}  {note}"
        )
    ranges = [e for e in mine if e.get("stage") == "redaction_range"]
    if ranges:
        print(
            f"{'redaction, per range (summed)':34} {ranges[0]['replica']:12} "
            f"{sum(e['seconds'] for e in ranges):8.2f} {sum(e['cpu_seconds'] for e in ranges):7.2f}"
        )
    if shards:
        print("\nshard stages, summed per replica")
        print(f"{'stage':34} {'replica':12} {'wall s':>8} {'cpu s':>7} {'count':>6}")
        for (kind, replica), (wall, cpu, count) in sorted(shards.items()):
            print(f"{kind:34} {replica:12} {wall:8.2f} {cpu:7.2f} {int(count):6}")
    slots(mine)
    print("\npeak RSS logged: " + ", ".join(f"{r} {mb:.0f} MB" for r, mb in sorted(peak.items())))


def _span(e: dict[str, Any]) -> tuple[float, float]:
    """(start, end) of a stage event, in seconds since the epoch."""
    end = datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp()
    return end - float(e.get("seconds", 0.0)), end


def slots(mine: list[dict[str, Any]]) -> None:
    """How busy each replica's shard slot was while the job's shards ran: the seconds
    between a shard's input read and its output store, summed, against the span from the
    first shard's start to the last shard's end (the idle rest is what a faster
    hand-over could win)."""
    per: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for e in mine:
        if e.get("event") == "analysis_stage" and e["stage"] in SHARD_STAGES:
            per[(e.get("shard_stage", ""), e["replica"])].append(_span(e))
    if not per:
        return
    print("\nshard slots: busy seconds within each stage's span (first start to last end)")
    print(f"{'stage':10} {'replica':12} {'busy s':>8} {'span s':>8} {'busy %':>7}")
    for shard_stage in ("detect", "analyze"):
        spans = [s for (st, _), v in per.items() if st == shard_stage for s in v]
        if not spans:
            continue
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        for (st, replica), v in sorted(per.items()):
            if st == shard_stage:
                busy = sum(b - a for a, b in v)
                print(
                    f"{shard_stage:10} {replica:12} {busy:8.2f} {last - first:8.2f} "
                    f"{100 * busy / max(last - first, 1e-9):6.0f}%"
                )
    # Both stages as one span: the analyse shards may start while the last ranges are
    # still detected, so the idle time between the stages shows only here.
    spans = [s for v in per.values() for s in v]
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    for replica in sorted({r for _, r in per}):
        busy = sum(b - a for (_, r), v in per.items() if r == replica for a, b in v)
        print(
            f"{'both':10} {replica:12} {busy:8.2f} {last - first:8.2f} "
            f"{100 * busy / max(last - first, 1e-9):6.0f}%  idle {last - first - busy:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, help="the stack's log directory")
    parser.add_argument("--job", help="a job id (default: the newest completed job)")
    args = parser.parse_args()
    report(read_events(args.logs), args.job)


if __name__ == "__main__":
    main()
