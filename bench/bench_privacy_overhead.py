"""Issue 5 point 6: the full analysis with privacy on versus off, measured in one run.

    .venv/bin/python bench/bench_privacy_overhead.py --conversations 2000 --rounds 3

"off" runs the engine on the raw corpus; "on" redacts the corpus first (as the
worker does) and runs the engine on the redacted one. Each is timed ``rounds``
times, alternating, and the best time of each is compared. Target: speed with
privacy on >= 2/3 of the speed with privacy off. Each round also times the redaction
with the old scanning layer (tests/unit/privacy/reference_scan.py, each detector
looking for its own anchors) against the current one (one candidate pass), so the two
are compared in the same run. Prints figures only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_corpus import make_corpus

from convoscope_analyzer.engine import EngineOptions, analyze, warm_up
from convoscope_analyzer.privacy import Redactor, privacy_config_from_env, redact_corpus
from convoscope_analyzer.privacy.detection import Detection

TARGET = 2 / 3
REFERENCE = Path(__file__).resolve().parent.parent / "tests/unit/privacy/reference_scan.py"


def _old_redactor_class() -> type[Redactor]:
    spec = importlib.util.spec_from_file_location("reference_scan", REFERENCE)
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)

    class OldRedactor(Redactor):
        def detect(self, text: str) -> list[Detection]:
            return reference.detect(
                text, region=self.config.default_region, detect_names=self.config.detect_names
            )

    return OldRedactor


def main() -> int:
    """Time the analysis with and without redaction; print the speed ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    corpus = make_corpus(args.conversations, args.seed)
    messages = sum(len(c.messages) for c in corpus.conversations)
    config = privacy_config_from_env(os.environ)
    options = EngineOptions(timezone="Europe/Berlin")
    warm_up()
    print(f"corpus: {args.conversations:,} conversations, {messages:,} messages")

    off: list[float] = []
    on: list[float] = []
    redaction: list[float] = []
    old_redaction: list[float] = []
    old_redactor = _old_redactor_class()
    for _ in range(args.rounds):
        started = time.perf_counter()
        redact_corpus(corpus, config, redactor=old_redactor(config))
        old_redaction.append(time.perf_counter() - started)

        started = time.perf_counter()
        analyze(corpus, options)
        off.append(time.perf_counter() - started)

        started = time.perf_counter()
        redacted, report = redact_corpus(corpus, config)
        redaction.append(time.perf_counter() - started)
        analyze(redacted, options)
        on.append(time.perf_counter() - started)

    best_off, best_on = min(off), min(on)
    ratio = best_off / best_on
    print(f"privacy off: best {best_off:.2f} s ({messages / best_off:,.0f} messages/s)")
    print(
        f"privacy on:  best {best_on:.2f} s ({messages / best_on:,.0f} messages/s), "
        f"of which redaction {min(redaction):.2f} s; {report.total:,} values redacted"
    )
    print(
        f"redaction with the old scans: best {min(old_redaction):.2f} s; "
        f"old / new = {min(old_redaction) / min(redaction):.2f}; on with the old scans "
        f"would be {best_on - min(redaction) + min(old_redaction):.2f} s"
    )
    print(
        f"speed on / speed off = {ratio:.2f} (target >= {TARGET:.2f}): "
        f"{'met' if ratio >= TARGET else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
