"""Engine benchmark: messages per second per step and in total.

    .venv/bin/python bench/bench_engine.py --conversations 2000 --seed 1

Prints figures only (no assertions); all ratios come from one run.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_corpus import make_corpus

from convoscope_analyzer.engine import EngineOptions, ProgressUpdate, analyze, warm_up


def main() -> None:
    """Generate a corpus, run the engine, print per-step throughput."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timezone", default="Europe/Berlin")
    args = parser.parse_args()

    t0 = time.perf_counter()
    corpus = make_corpus(args.conversations, args.seed)
    messages = sum(len(c.messages) for c in corpus.conversations)
    print(
        f"corpus: {args.conversations:,} conversations, {messages:,} messages "
        f"(generated in {time.perf_counter() - t0:.2f} s)"
    )

    t0 = time.perf_counter()
    warm_up()
    print(f"warm-up (imports, lexicon): {time.perf_counter() - t0:.2f} s")

    step_start: dict[str, float] = {}
    updates: list[float] = []
    gaps: list[float] = []
    last = [time.perf_counter()]

    def on_progress(update: ProgressUpdate) -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        updates.append(update.fraction)
        step_start.setdefault(update.step, now)

    t0 = time.perf_counter()
    last[0] = t0
    analyze(corpus, EngineOptions(timezone=args.timezone), progress=on_progress)
    total = time.perf_counter() - t0

    steps = list(step_start.items())
    print(f"{'step':34} {'seconds':>8} {'msgs/s':>12}")
    for i, (step, start) in enumerate(steps):
        if step == "Complete":
            continue
        end = steps[i + 1][1] if i + 1 < len(steps) else t0 + total
        secs = end - start
        rate = messages / secs if secs > 0 else float("inf")
        print(f"{step:34} {secs:8.2f} {rate:12,.0f}")
    print(f"{'total':34} {total:8.2f} {messages / total:12,.0f}")
    print(
        f"progress updates: {len(updates)}, longest gap between updates: {max(gaps):.2f} s, "
        f"monotonic: {all(a <= b for a, b in itertools.pairwise(updates))}"
    )


if __name__ == "__main__":
    main()
