"""Privacy detection quality: precision, recall and F2 per entity type, per labelled set.

Run: .venv/bin/python bench/privacy_eval.py [--documents N] [--seed S]
Scores three sets apart, because pooling them hides misses (the synthetic set is
large and generated from the value lists the detector was tuned with):

- the synthetic labelled corpus (a regression guard),
- the hand-written tricky cases (tests/privacy_eval/tricky_cases.jsonl),
- the held-out cases (tests/privacy_eval/heldout_cases.jsonl), written before the
  detector was run on them.

tests/privacy_eval/test_targets.py checks the targets on the hand-written sets
(tricky + held-out) and on the synthetic set, each on its own. Prints counts and
scores only, never text.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from convoscope_analyzer.privacy import STRUCTURED_TYPES
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

CASES = Path(__file__).resolve().parent.parent / "tests" / "privacy_eval"
TRICKY = CASES / "tricky_cases.jsonl"
HELDOUT = CASES / "heldout_cases.jsonl"
URLS = CASES / "url_secret_cases.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1650)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    synthetic = generate_corpus(args.documents, seed=args.seed)
    tricky = load_tricky_cases(TRICKY)
    heldout = load_tricky_cases(HELDOUT)
    urls = load_tricky_cases(URLS)
    every = STRUCTURED_TYPES
    sets = (
        (f"Synthetic corpus (seed {args.seed}, regression guard)", synthetic, every),
        ("Hand-written tricky cases", tricky, every),
        ("Held-out cases", heldout, every),
        # Labels only secrets (and one IP address): scored on those.
        ("URL secret cases (webhooks, query strings, URL credentials)", urls, ("secret",)),
        ("Hand-written: tricky + held-out + URL (the tested set)", tricky + heldout + urls, every),
    )
    failed = False
    for title, examples, types in sets:
        start = time.perf_counter()
        report = evaluate(examples)
        elapsed = time.perf_counter() - start
        chars = sum(len(e.text) for e in examples)
        print(f"== {title}: {chars / 1e6:.3f} M characters scored in {elapsed:.2f} s")
        print(format_report(report))
        missed = missed_targets(report, types)
        print("targets: all met" if not missed else "targets MISSED:\n  " + "\n  ".join(missed))
        print()
        failed = failed or bool(missed)
    print(f"Targets (structured types): recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
