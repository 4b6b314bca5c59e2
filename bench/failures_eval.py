"""Complaint, refusal and sentiment detection on the hand-labelled turns (issue 20).

Run: .venv/bin/python bench/failures_eval.py
Scores the development part (tests/data/complaints/dev.jsonl, the cues were tuned on
it) and the held-out part (heldout.jsonl, written before tuning and never tuned on)
apart, each also without the next assistant answer (as for a conversation's last
turn), and sentiment against plain VADER as the yardstick. Prints counts and ratios,
never text. tests/unit/engine/test_failures_eval.py checks the targets on the
held-out part.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convoscope_analyzer.engine.sentiment import VaderModel
from convoscope_analyzer.failure_evaluation import (
    evaluate,
    format_report,
    label_counts,
    load_rows,
    missed_targets,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "complaints"


def main() -> int:
    failed = False
    for title, name in (("Development part (tuned on)", "dev"), ("Held-out part", "heldout")):
        rows = load_rows(DATA / f"{name}.jsonl")
        counts = label_counts(rows)
        print(f"== {title}: {dict(sorted(counts.items()))}")
        report = evaluate(rows)
        print(format_report(report))
        missed = missed_targets(report)
        print("targets: all met" if not missed else "targets MISSED: " + "; ".join(missed))
        alone = evaluate(rows, without_next=True)
        c = alone.complaint
        print(
            f"without the next answer: complaints precision {c.precision:.2f} "
            f"recall {c.recall:.2f} (tp {c.tp}, fp {c.fp}, fn {c.fn})"
        )
        plain = evaluate(rows, model=VaderModel())
        hit, total = plain.neutral_strongly_negative
        agree = sum(a for a, _ in plain.sentiment_by_label.values())
        print(
            f"yardstick plain VADER: agreement {agree}/{plain.rows}, "
            + ", ".join(f"{k} {a}/{t}" for k, (a, t) in plain.sentiment_by_label.items())
            + f"; English neutral strongly negative {hit}/{total}"
        )
        print()
        failed = failed or (name == "heldout" and bool(missed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
