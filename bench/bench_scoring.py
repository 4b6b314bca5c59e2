"""CPU of the per-message scorers of an analyse shard, step by step.

    .venv/bin/python bench/bench_scoring.py --file /work/bench90/conversations.json \
        --messages 16000 --rounds 7

Parses the export as ingest does, keeps its first ``--messages`` messages (whole
conversations, as a shard holds them), and times each step of a shard that scores
messages or conversations (CPU seconds of this process, ``time.process_time``; best of
``--rounds``, the steps interleaved round by round, the corpus frozen out of the
collector as the service freezes it): language detection, taxonomy and term counts
(``topic_rows`` without a model), sentiment (the model's compound, the flags, and
``score_messages`` whole), failures and quality, and the whole shard
(``analyze_shard``). Figures only, per ``--messages`` messages; no cache is involved
(every message is scored from its text in every round).

To compare two checkouts, run this file from each with that checkout's sources first
on ``PYTHONPATH`` (docs/performance.md shows how), alternating, on the same machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from convoscope_analyzer.engine import language, quality, sentiment, topics, warm_up
from convoscope_analyzer.engine.failures import analyze_failures
from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.partial import analyze_shard
from convoscope_analyzer.engine.pipeline import STEP_WEIGHTS
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.taxonomy import default_taxonomy
from convoscope_common.corpus import Corpus
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export


def _tracker() -> ProgressTracker:
    return ProgressTracker(STEP_WEIGHTS, None, None)


def _shard(path: Path, messages: int) -> Corpus:
    data = path.read_bytes()
    corpus = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus
    kept, total = [], 0
    for conversation in corpus.conversations:
        if total >= messages:
            break
        kept.append(conversation)
        total += len(conversation.messages)
    return Corpus(conversations=kept)


def main() -> None:
    """Time every scoring step of one shard and print the best of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="a claude.ai or ChatGPT export")
    parser.add_argument("--messages", type=int, default=16_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="steps whose name holds one of these")
    args = parser.parse_args()

    part = _shard(Path(args.file), args.messages)
    warm_up()
    options = EngineOptions()
    zone = resolve_timezone(options.timezone)
    taxonomy = default_taxonomy()
    prepared = prepare_corpus(part, zone)
    language.assign_languages(prepared, fallback="en")
    rows = sentiment.score_messages(prepared, _tracker())
    failures = analyze_failures(prepared, _tracker())
    users = [
        pm.message.text
        for c in prepared
        for pm in c.messages
        if pm.message.role == "user" and pm.message.text.strip()
    ]
    model = sentiment.default_model()
    plan = ShardPlan(fallback_language="en")
    analyze_shard(part, part.conversations[:20], 0, plan, options, _tracker())  # warm caches
    steps: dict[str, Callable[[], object]] = {
        "languages (assign_languages)": lambda: language.assign_languages(prepared, fallback="en"),
        "topics without a model (topic_rows)": lambda: topics.topic_rows(
            prepared, taxonomy, None, _tracker()
        ),
        "sentiment (score_messages)": lambda: sentiment.score_messages(prepared, _tracker()),
        "  model compound, user messages": lambda: [model.compound(t) for t in users],
        "  flags, user messages": lambda: [sentiment.detect_flags(t) for t in users],
        "failures (analyze_failures)": lambda: analyze_failures(prepared, _tracker()),
        "quality (analyze_quality)": lambda: quality.analyze_quality(
            prepared, failures, rows.by_message, _tracker()
        ),
        "whole shard (analyze_shard)": lambda: analyze_shard(
            part, part.conversations, 0, plan, options, _tracker()
        ),
    }
    if args.only:
        steps = {k: v for k, v in steps.items() if any(s in k for s in args.only)}
    gc.freeze()  # the corpus is not garbage: the service freezes it too
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(args.rounds):
        for name, run in steps.items():
            gc.collect()
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    messages = sum(len(c.messages) for c in part.conversations)
    print(
        f"{len(part.conversations):,} conversations, {messages:,} messages "
        f"({len(users):,} user); best of {args.rounds}, CPU ms; load average "
        f"{os.getloadavg()[0]:.1f}; sources {Path(sentiment.__file__).parents[3]}"
    )
    for name, seconds in best.items():
        print(f"{name:<40}{seconds * 1000:>9.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
