"""Language detection cost (issue 19): what detecting every user message adds to an
analysis, on a generated export with (nearly) every message distinct.

    .venv/bin/python bench/bench_language.py --size-mb 5

Prints figures only (CPU time of this process: the machine is shared): the detection
step's time per user message, the whole analysis without it, and their ratio (the
yardstick: the rest of the engine on the same corpus).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_export import write_export

from convoscope_analyzer.engine import EngineOptions, analyze, warm_up
from convoscope_analyzer.engine.language import assign_languages
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export


def main() -> None:
    """Generate, parse, time detection alone and the whole analysis."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=5.0)
    parser.add_argument("--vendor", default="claude")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        write_export(args.vendor, int(args.size_mb * 1024 * 1024), path, 0, True)
        data = path.read_bytes()
    corpus = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus
    start = time.process_time()
    warm_up()
    print(f"warm-up (all models, detector included): {time.process_time() - start:.2f} s")

    prepared = prepare_corpus(corpus, resolve_timezone("UTC"))
    users = sum(1 for c in prepared for pm in c.messages if pm.message.role == "user")
    start = time.process_time()
    stats = assign_languages(prepared)
    detection = time.process_time() - start

    start = time.process_time()
    results = analyze(corpus, EngineOptions())
    total = time.process_time() - start
    rest = total - detection
    messages = sum(len(c.messages) for c in corpus.conversations)
    print(f"corpus: {len(corpus.conversations):,} conversations, {messages:,} messages")
    print(
        f"detection: {detection:.2f} s for {users:,} user messages "
        f"({detection / max(users, 1) * 1e6:.0f} us each; {stats.detected:,} from own text, "
        f"{stats.inherited:,} inherited, {stats.unknown:,} unknown)"
    )
    print(f"analysis without detection: {rest:.2f} s; with: {total:.2f} s")
    print(f"detection / rest of the analysis: {detection / rest:.2f}x")
    assert results.languages is not None
    print(f"languages: {results.languages.messages}")


if __name__ == "__main__":
    main()
