"""The privacy scan of a whole export: the single candidate pass against the old scans.

    .venv/bin/python bench/bench_privacy_scan.py --file /work/bench90/conversations.json
    .venv/bin/python bench/bench_privacy_scan.py --conversations 800   # generated export

Parses the export as ingest does, collects every text redaction reads (titles, message
text, thinking, tool inputs and results, attachments, citations), then times in one
run, interleaved, best of ``--rounds`` (CPU seconds, ``time.process_time``):

- ``detect`` over every text: the old scanning layer (tests/unit/privacy/
  reference_scan.py: each detector looks for its own anchors) and the current one (one
  candidate pass, detectors at their candidates);
- ``redact_corpus`` of the whole corpus with each (detection + placeholders + report);
- once, the engine on the redacted corpus, for the scan's share of the analysis.

Also checks that both give the same detections for every text. The yardstick is a plain
``msgspec.json.decode`` of the file with the garbage collector off. Figures only.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import msgspec

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from convoscope_analyzer.engine import EngineOptions, analyze, warm_up  # noqa: E402
from convoscope_analyzer.privacy import PrivacyConfig, Redactor, detect, redact_corpus  # noqa: E402
from convoscope_analyzer.privacy.detection import Detection  # noqa: E402
from convoscope_common.corpus import Corpus  # noqa: E402
from convoscope_ingest.limits import ParseLimits  # noqa: E402
from convoscope_ingest.parsing import parse_export  # noqa: E402


def _reference() -> ModuleType:
    path = REPO / "tests" / "unit" / "privacy" / "reference_scan.py"
    spec = importlib.util.spec_from_file_location("reference_scan", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder(Redactor):
    """Collects the texts redaction reads, in order."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.texts: list[str] = []

    def detect(self, text: str) -> list[Detection]:
        self.texts.append(text)
        return []


def _load(args: argparse.Namespace) -> tuple[bytes, Corpus]:
    if args.file:
        data = Path(args.file).read_bytes()
    else:
        from generate_export import generate_claude_export

        data = generate_claude_export(args.conversations, seed=args.seed)
    parsed = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1))
    return data, parsed.corpus


def _cpu(fn: object, *a: object) -> float:
    start = time.process_time()
    fn(*a)  # type: ignore[operator]
    return time.process_time() - start


def main() -> int:
    """Time the old and the new scan over one export; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", help="an export (conversations.json); default: generated")
    parser.add_argument("--conversations", type=int, default=800)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-engine", action="store_true", help="skip the engine run")
    args = parser.parse_args()
    reference = _reference()
    data, corpus = _load(args)

    gc.disable()
    start = time.process_time()
    msgspec.json.decode(data)
    floor = time.process_time() - start
    gc.enable()

    config = PrivacyConfig()
    recorder = _Recorder(config)
    redact_corpus(corpus, config, redactor=recorder)
    texts = recorder.texts
    chars = sum(map(len, texts))
    messages = sum(len(c.messages) for c in corpus.conversations)
    print(
        f"export: {len(data) / 1e6:.1f} MB, {messages:,} messages; {len(texts):,} texts "
        f"redaction reads ({chars / 1e6:.1f} M characters); floor (decode, GC off) "
        f"{floor:.2f} s CPU"
    )

    def old_detect() -> None:
        for t in texts:
            reference.detect(t)

    def new_detect() -> None:
        for t in texts:
            detect(t)

    class OldRedactor(Redactor):
        def detect(self, text: str) -> list[Detection]:
            return reference.detect(
                text, region=self.config.default_region, detect_names=self.config.detect_names
            )

    timings: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        timings.setdefault("detect, old scans", []).append(_cpu(old_detect))
        timings.setdefault("detect, one candidate pass", []).append(_cpu(new_detect))
        timings.setdefault("redact_corpus, old scans", []).append(
            _cpu(lambda: redact_corpus(corpus, config, redactor=OldRedactor(config)))
        )
        timings.setdefault("redact_corpus, one candidate pass", []).append(
            _cpu(lambda: redact_corpus(corpus, config))
        )
    for label, values in timings.items():
        best = min(values)
        print(
            f"  {label:<36} best {best:6.2f} s CPU  ({best / floor:5.1f}× floor; "
            f"{chars / best / 1e6:5.1f} M chars/s; rounds: "
            + ", ".join(f"{v:.2f}" for v in values)
            + ")"
        )
    old = min(timings["detect, old scans"])
    new = min(timings["detect, one candidate pass"])
    print(f"  detect: old / new = {old / new:.2f}")
    old_r = min(timings["redact_corpus, old scans"])
    new_r = min(timings["redact_corpus, one candidate pass"])
    print(f"  redact_corpus: old / new = {old_r / new_r:.2f}")

    differ = sum(
        1
        for t in texts
        if [(d.entity_type, d.start, d.end, d.kind) for d in detect(t)]
        != [(d.entity_type, d.start, d.end, d.kind) for d in reference.detect(t)]
    )
    print(f"  texts whose detections differ: {differ}")

    if not args.no_engine:
        redacted, _ = redact_corpus(corpus, config)
        warm_up()
        engine = _cpu(lambda: analyze(redacted, EngineOptions(timezone="Europe/Berlin")))
        print(
            f"engine on the redacted corpus: {engine:.2f} s CPU; redaction's share of "
            f"redaction + engine: old {old_r / (old_r + engine):.1%}, "
            f"new {new_r / (new_r + engine):.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
