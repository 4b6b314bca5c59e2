"""Where an analysis spent its time and memory, from the analyzers' ``analysis_stage`` logs.

Run after ``bench/bench_e2e.py`` against a stack started with ``python -m
convoscope_stack --data-dir D`` (its services log JSON lines to ``D/logs``):

    python bench/bench_stages.py D/logs            # the newest job
    python bench/bench_stages.py D/logs --job JOB_ID

Prints the coordinator's stages in order (wall seconds, CPU seconds of the thread that
ran them, RSS at their end), then the shard stages summed per kind and replica (how the
shards' work spread over the analyzer processes), and the peak RSS each replica logged.
Figures only.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
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
        note = ", ".join(
            f"{k}={e[k]}" for k in ("bytes", "messages", "shards", "shard_stage") if k in e
        )
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
    print("\npeak RSS logged: " + ", ".join(f"{r} {mb:.0f} MB" for r, mb in sorted(peak.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, help="the stack's log directory")
    parser.add_argument("--job", help="a job id (default: the newest completed job)")
    args = parser.parse_args()
    report(read_events(args.logs), args.job)


if __name__ == "__main__":
    main()
