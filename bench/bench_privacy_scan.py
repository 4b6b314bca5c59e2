"""The privacy scan of a whole export: the single candidate pass against the old scans.

    .venv/bin/python bench/bench_privacy_scan.py --file /work/bench90/conversations.json
    .venv/bin/python bench/bench_privacy_scan.py --conversations 800   # generated export

Parses the export as ingest does, collects every text redaction reads (titles, message
text, thinking, tool inputs and results, attachments, citations), then times in one
run, interleaved, best of ``--rounds`` (CPU seconds, ``time.process_time``):

- ``detect`` over every text: the old scanning layer (tests/unit/privacy/
  reference_scan.py: each detector looks for its own anchors), the scan before issue
  #12 tightened its gates (reference_detect.py) and the current one;
- ``redact_corpus`` of the whole corpus with each (detection + placeholders + report);
- a sharded job's two walks over ``--shards`` ranges: ``record_detections`` (what the
  detect shards run) and the replay of the recorded detections (``RangeRedaction``, on
  the coordinating analyzer), before (tests/unit/analyzer/reference_shard_redaction.py:
  through ``redact_corpus_in_place`` with a recording / replaying redactor, with the
  frozen scan) and now;
- once, the engine on the redacted corpus, for the scan's share of the analysis.

The corpus is frozen out of the garbage collector's way, as a shard's is. Also checks
that all give the same detections for every text. The yardstick is a plain
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

from convoscope_analyzer import shard_redaction  # noqa: E402
from convoscope_analyzer.engine import EngineOptions, analyze, warm_up  # noqa: E402
from convoscope_analyzer.privacy import PrivacyConfig, Redactor, detect, redact_corpus  # noqa: E402
from convoscope_analyzer.privacy.detection import Detection  # noqa: E402
from convoscope_analyzer.shard_redaction import record_detections  # noqa: E402
from convoscope_common.corpus import Corpus  # noqa: E402
from convoscope_ingest.limits import ParseLimits  # noqa: E402
from convoscope_ingest.parsing import parse_export  # noqa: E402


def _reference(folder: str = "privacy", name: str = "reference_scan") -> ModuleType:
    path = REPO / "tests" / "unit" / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
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


_corpus_decoder = msgspec.msgpack.Decoder(Corpus)


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
    parser.add_argument("--shards", type=int, default=8, help="ranges of the shard walks")
    parser.add_argument("--no-engine", action="store_true", help="skip the engine run")
    args = parser.parse_args()
    reference = _reference()
    gated = _reference("privacy", "reference_detect")
    walks = _reference("analyzer", "reference_shard_redaction")
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
    # As a shard runs: its corpus frozen out of the collector's way (collector.long_lived_frozen).
    gc.freeze()
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

    def gated_detect() -> None:
        for t in texts:
            gated.detect(t)

    n = len(corpus.conversations)
    step = max(1, -(-n // args.shards))
    ranges = [(a, min(n, a + step)) for a in range(0, n, step)]
    recorded = [record_detections(corpus, config, a, b) for a, b in ranges]

    def record_before() -> None:
        for a, b in ranges:
            walks.record_detections(corpus, config, a, b, gated.detect)

    def record_now() -> None:
        for a, b in ranges:
            record_detections(corpus, config, a, b)

    def replay(module: ModuleType) -> float:
        """CPU of the replay alone (each range is copied first, as the coordinator
        decodes it)."""
        redaction = module.RangeRedaction(config)
        spent = 0.0
        for (a, b), found in zip(ranges, recorded, strict=True):
            part = _corpus_decoder.decode(
                msgspec.msgpack.encode(
                    msgspec.structs.replace(corpus, conversations=corpus.conversations[a:b])
                )
            )
            part.projects = []
            spent += _cpu(redaction.range, part, found)
        return spent

    class OldRedactor(Redactor):
        def detect(self, text: str) -> list[Detection]:
            return reference.detect(
                text, region=self.config.default_region, detect_names=self.config.detect_names
            )

    timings: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        timings.setdefault("detect, old scans", []).append(_cpu(old_detect))
        timings.setdefault("detect, before #12's gates", []).append(_cpu(gated_detect))
        timings.setdefault("detect, one candidate pass", []).append(_cpu(new_detect))
        timings.setdefault("record_detections, before", []).append(_cpu(record_before))
        timings.setdefault("record_detections, now", []).append(_cpu(record_now))
        timings.setdefault("replay of the ranges, before", []).append(replay(walks))
        timings.setdefault("replay of the ranges, now", []).append(replay(shard_redaction))
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
    for label, before, now in (
        ("detect", "detect, before #12's gates", "detect, one candidate pass"),
        ("record_detections", "record_detections, before", "record_detections, now"),
        ("replay", "replay of the ranges, before", "replay of the ranges, now"),
    ):
        ratio = min(timings[before]) / min(timings[now])
        print(f"  {label}: before #12 / now = {ratio:.2f}")
    old_r = min(timings["redact_corpus, old scans"])
    new_r = min(timings["redact_corpus, one candidate pass"])
    print(f"  redact_corpus: old / new = {old_r / new_r:.2f}")

    def key(found: list[Detection]) -> list[tuple[str, int, int, str, int]]:
        return [(d.entity_type, d.start, d.end, d.kind, d.priority) for d in found]

    differ = gated_differ = 0
    for t in texts:
        now = key(detect(t))
        differ += now != key(reference.detect(t))
        gated_differ += now != key(gated.detect(t))
    print(
        f"  texts whose detections differ: from the old scans {differ}, from before #12 "
        f"{gated_differ}"
    )

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
