"""Assistant-failure detection, complaint cues and quality: one automaton pass per text
against the old cue-by-cue search.

    .venv/bin/python bench/bench_cues.py --file /work/bench90/conversations.json --messages 16000
    .venv/bin/python bench/bench_cues.py --conversations 800   # generated export

Parses the export as ingest does, prepares the first ``--messages`` messages (whole
conversations) as a shard does (local times, languages, sentiment), then times in one
run, interleaved, best of ``--rounds`` (CPU seconds, ``time.process_time``, collector
paused as in the bulk phases):

- failures (every conversation's findings) and quality (every conversation's figures):
  the old search (tests/unit/engine/reference_cues.py: a substring gate, requirement
  checks and a regex per cue list, list after list) and the current one (engine/
  cue_scan.py: one automaton pass per text, then only the lists it names);
- ``frustration_cue`` over every user message (what sentiment asks), old and new;
- the comparison and usage tallies of the shard (tests/unit/common/reference_tallies.py:
  a ``strftime`` and four row lookups per message, a Python loop per non-ASCII character
  for the token estimate).

Checks that both give the same findings, quality rows, cues and tallies, and prints CPU per
10,000 messages with the old/new ratio. The yardstick is a plain ``msgspec.json.decode``
of the export with the collector off. Figures only.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from convoscope_analyzer.engine.complaints import frustration_cue  # noqa: E402
from convoscope_analyzer.engine.cues import cues_for, profanity_words  # noqa: E402
from convoscope_analyzer.engine.failures import detect_conversation_failures  # noqa: E402
from convoscope_analyzer.engine.language import assign_languages  # noqa: E402
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone  # noqa: E402
from convoscope_analyzer.engine.quality import assess_conversation  # noqa: E402
from convoscope_analyzer.engine.sentiment import score_messages  # noqa: E402
from convoscope_common.aggregates.comparison import tally_comparison  # noqa: E402
from convoscope_common.aggregates.usage import tally_usage  # noqa: E402
from convoscope_ingest.limits import ParseLimits  # noqa: E402
from convoscope_ingest.parsing import parse_export  # noqa: E402


def reference(name: str, folder: str) -> ModuleType:
    """A frozen copy of the old code (tests/unit/<folder>/<name>.py)."""
    path = REPO / "tests" / "unit" / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class _Ticks:
    def tick(self, *_: object) -> None:
        pass


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    start = time.process_time()
    out = fn()
    spent = time.process_time() - start
    gc.enable()
    return spent, out


def main() -> int:
    """Time the old and the new cue search over one export; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", help="an export (conversations.json); default: generated")
    parser.add_argument("--conversations", type=int, default=800)
    parser.add_argument("--messages", type=int, default=0, help="first N messages (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="instead of the export's detected languages, the equality test's mix: every cue"
        " language, none detected, one without a cue file (tests/unit/engine/"
        "test_cue_scan_equality.py)",
    )
    args = parser.parse_args()
    ref = reference("reference_cues", "engine")
    old_tallies = reference("reference_tallies", "common")
    if args.file:
        data = Path(args.file).read_bytes()
    else:
        from generate_export import generate_claude_export

        data = generate_claude_export(args.conversations, seed=args.seed)
    gc.disable()
    start = time.process_time()
    msgspec.json.decode(data)
    floor = time.process_time() - start
    gc.enable()
    corpus = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus
    del data
    conversations = corpus.conversations
    if args.messages:
        kept, count = [], 0
        for conversation in conversations:
            if count >= args.messages:
                break
            kept.append(conversation)
            count += len(conversation.messages)
        conversations = kept
    part = msgspec.structs.replace(corpus, conversations=conversations)
    prepared = prepare_corpus(part, resolve_timezone("UTC"))
    if args.mixed:
        mix = reference("test_cue_scan_equality", "engine")
        rng = random.Random(args.seed)
        for item in prepared:
            main_language = rng.choice(mix.LANGUAGES)
            for pm in item.messages:
                pm.language = main_language if rng.random() < 0.8 else rng.choice(mix.LANGUAGES)
    else:
        assign_languages(prepared)
    sentiments = {s.message_id: s for s in score_messages(prepared, _Ticks()).by_message}
    messages = sum(len(item.messages) for item in prepared)
    users = [
        (pm.language, pm.message.text)
        for item in prepared
        for pm in item.messages
        if pm.message.role == "user"
    ]
    languages = sorted({str(pm.language) for item in prepared for pm in item.messages})
    print(
        f"{len(prepared):,} conversations, {messages:,} messages ({len(users):,} from the user),"
        f" languages {', '.join(languages)}; floor (decode of the export, GC off) {floor:.2f} s"
    )
    # Books, groups and the profanity list are built once per process: not timed.
    for language in {pm.language for item in prepared for pm in item.messages}:
        cues_for(language)
    profanity_words()

    def new_failures() -> list[Any]:
        return [detect_conversation_failures(item) for item in prepared]

    def old_failures() -> list[Any]:
        return [ref.detect_conversation_failures(item) for item in prepared]

    findings = new_failures()
    if findings != old_failures():
        print("DIFFERENT findings: the new search does not give the old results")
        return 1

    def new_quality() -> list[Any]:
        return [
            assess_conversation(item, found, sentiments)
            for item, found in zip(prepared, findings, strict=True)
            if item.messages
        ]

    def old_quality() -> list[Any]:
        return [
            ref.assess_conversation(item, found, sentiments)
            for item, found in zip(prepared, findings, strict=True)
            if item.messages
        ]

    def new_frustration() -> list[str | None]:
        return [frustration_cue(cues_for(language), text) for language, text in users]

    def old_frustration() -> list[str | None]:
        return [ref.frustration_cue(ref.reference_book(language), text) for language, text in users]

    found = [f for part in findings for f in part]
    qualities = new_quality()
    scores = list(sentiments.values())

    def new_comparison() -> dict[str, Any]:
        return tally_comparison(prepared, scores, found, qualities)

    def old_comparison() -> dict[str, Any]:
        return old_tallies.old_tally_comparison(prepared, scores, found, qualities)

    pairs = {
        "failures": (old_failures, new_failures),
        "quality": (old_quality, new_quality),
        "frustration_cue": (old_frustration, new_frustration),
        "tally_comparison": (old_comparison, new_comparison),
        "tally_usage": (
            lambda: old_tallies.old_tally_usage(prepared),
            lambda: tally_usage(prepared),
        ),
    }
    best: dict[tuple[str, str], float] = {}
    for round_ in range(args.rounds):
        for name, (old, new) in pairs.items():
            outputs = {}
            # Old first in even rounds, new first in odd ones: neither always runs warm.
            order = (
                (("old", old), ("new", new)) if round_ % 2 == 0 else (("new", new), ("old", old))
            )
            for label, fn in order:
                spent, outputs[label] = _cpu(fn)
                key = (name, label)
                best[key] = min(best.get(key, spent), spent)
            if outputs["old"] != outputs["new"]:
                print(f"DIFFERENT {name}: the new search does not give the old results")
                return 1
    per = 10_000 / messages
    print(f"CPU per 10,000 messages, best of {args.rounds} (results identical):")
    total_old = total_new = 0.0
    for name in pairs:
        old_s, new_s = best[(name, "old")], best[(name, "new")]
        total_old += old_s
        total_new += new_s
        print(
            f"  {name:<17} old {old_s * per * 1000:7.1f} ms  new {new_s * per * 1000:7.1f} ms"
            f"  {old_s / new_s:4.2f}× faster"
        )
    print(
        f"  {'together':<17} old {total_old * per * 1000:7.1f} ms  new "
        f"{total_new * per * 1000:7.1f} ms  {total_old / total_new:4.2f}× faster "
        f"(new: {total_new / floor:.2f}× the floor of the whole export)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
