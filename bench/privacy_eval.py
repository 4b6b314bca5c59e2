"""Privacy detection quality: precision, recall and F2 per entity type.

Run: .venv/bin/python bench/privacy_eval.py [--documents N] [--seed S]
Scores the synthetic labelled corpus, the hand-written tricky cases, and both
together (the set tests/privacy_eval/test_targets.py checks). Prints counts and
scores only, never text.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from convoscope_analyzer.privacy.evaluation import (
    TARGET_PRECISION,
    TARGET_RECALL,
    evaluate,
    format_report,
    generate_corpus,
    load_tricky_cases,
    missed_targets,
)
from convoscope_analyzer.privacy.evaluation.synthetic import DEFAULT_SEED

TRICKY = Path(__file__).resolve().parent.parent / "tests" / "privacy_eval" / "tricky_cases.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1650)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    synthetic = generate_corpus(args.documents, seed=args.seed)
    tricky = load_tricky_cases(TRICKY)
    for title, examples in (
        (f"Synthetic corpus (seed {args.seed})", synthetic),
        ("Hand-written tricky cases", tricky),
        ("Both (the tested set)", synthetic + tricky),
    ):
        start = time.perf_counter()
        report = evaluate(examples)
        elapsed = time.perf_counter() - start
        chars = sum(len(e.text) for e in examples)
        print(f"== {title}: {chars / 1e6:.2f} M characters scored in {elapsed:.2f} s")
        print(format_report(report))
        print()
    missed = missed_targets(evaluate(synthetic + tricky))
    print(f"Targets (structured types): recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}")
    print("all met" if not missed else "MISSED:\n  " + "\n  ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
