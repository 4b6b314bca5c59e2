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

``--before REV`` also loads the scoring modules (vader, langid, language, sentiment,
topics, quality) as they are at git revision ``REV`` (``git show``, imported under other
names, each importing the others at ``REV``; every other module is shared), checks that
they give the same languages, sentiment rows, topic rows and quality rows, and times
before and after interleaved in the same process, the whole shard included (``before``:
the shard with those steps swapped for their ``REV`` versions).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import msgspec

from convoscope_analyzer.engine import langid, language, quality, sentiment, topics, warm_up
from convoscope_analyzer.engine import partial as partial_module
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

REPO = Path(__file__).resolve().parents[1]
ENGINE = "services/analyzer/src/convoscope_analyzer/engine"
# In import order: each may import the ones before it.
SCORING = ("vader", "langid", "language", "sentiment", "quality", "topics")


def load_before(revision: str) -> dict[str, ModuleType]:
    """The scoring modules as they are at ``revision``, importing each other at that
    revision (as ``_before_<name>``) and every other module as it is now."""
    loaded: dict[str, ModuleType] = {}
    for name in SCORING:
        source = subprocess.run(
            ["git", "show", f"{revision}:{ENGINE}/{name}.py"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for other in SCORING:
            source = source.replace(
                f"from convoscope_analyzer.engine.{other} import", f"from _before_{other} import"
            ).replace(
                f"from convoscope_analyzer.engine import {other}\n",
                f"import _before_{other} as {other}\n",
            )
        module = ModuleType(f"_before_{name}")
        module.__file__ = f"{revision}:{ENGINE}/{name}.py"
        sys.modules[module.__name__] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)
        loaded[name] = module
    return loaded


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


def _whole_shard(
    version: tuple[ModuleType, ...], part: Corpus, plan: ShardPlan, options: EngineOptions
) -> object:
    """``analyze_shard`` with the scoring steps of ``version``."""
    lang, sent, top, qual = version
    saved = {
        name: getattr(partial_module, name)
        for name in ("assign_languages", "score_messages", "topic_rows", "analyze_quality")
    }
    partial_module.assign_languages = lang.assign_languages
    partial_module.score_messages = sent.score_messages
    partial_module.topic_rows = top.topic_rows
    partial_module.analyze_quality = qual.analyze_quality
    try:
        return analyze_shard(part, part.conversations, 0, plan, options, _tracker())
    finally:
        for name, value in saved.items():
            setattr(partial_module, name, value)


def _check_equal(
    prepared: list, versions: dict[str, tuple[ModuleType, ...]], taxonomy: object, failures: object
) -> None:
    """Both versions give the same languages and rows on the shard (else: exit)."""
    found = {}
    for label, (lang, sent, top, qual) in versions.items():
        stats = lang.assign_languages(prepared, fallback="en")
        languages = [(c.language, [m.language for m in c.messages]) for c in prepared]
        rows = sent.score_messages(prepared, _tracker())
        found[label] = (
            stats,
            languages,
            rows,
            top.topic_rows(prepared, taxonomy, None, _tracker()),
            qual.analyze_quality(prepared, failures, rows.by_message, _tracker()),
        )
    parts = ("language stats", "languages", "sentiment rows", "topic rows", "quality rows")
    # As plain data: the two versions' classes are distinct (never equal as objects).
    before, after = (msgspec.to_builtins(found[label]) for label in ("before", "after"))
    differ = [p for p, x, y in zip(parts, before, after, strict=True) if x != y]
    if differ:
        sys.exit(f"before and after differ: {', '.join(differ)}")
    print("before and after: same languages, sentiment, topic and quality rows")


def main() -> None:
    """Time every scoring step of one shard and print the best of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="a claude.ai or ChatGPT export")
    parser.add_argument("--messages", type=int, default=16_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="steps whose name holds one of these")
    parser.add_argument("--before", help="a git revision to compare with (see above)")
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
    plan = ShardPlan(fallback_language="en")
    analyze_shard(part, part.conversations[:20], 0, plan, options, _tracker())  # warm caches
    versions = {"after": (language, sentiment, topics, quality)}
    if args.before:
        old = load_before(args.before)
        # The same fastText model instance for both: a second copy of the model, loaded
        # elsewhere in memory, timed several percent apart on its own.
        old["langid"]._predict = langid._predict
        versions["before"] = (old["language"], old["sentiment"], old["topics"], old["quality"])
        _check_equal(prepared, versions, taxonomy, failures)
    steps: dict[str, Callable[[], object]] = {}
    for label, (lang, sent, top, qual) in versions.items():
        model = sent.default_model()
        model.compound("warm up")
        steps |= {
            f"{label}: languages": lambda lang=lang: lang.assign_languages(prepared, fallback="en"),
            f"{label}: topics without a model": lambda top=top: top.topic_rows(
                prepared, taxonomy, None, _tracker()
            ),
            f"{label}: sentiment (score_messages)": lambda sent=sent: sent.score_messages(
                prepared, _tracker()
            ),
            f"{label}:   model compound, user messages": lambda m=model: [
                m.compound(t) for t in users
            ],
            f"{label}:   flags, user messages": lambda sent=sent: [
                sent.detect_flags(t) for t in users
            ],
            f"{label}: quality": lambda qual=qual: qual.analyze_quality(
                prepared, failures, rows.by_message, _tracker()
            ),
            f"{label}: whole shard": lambda v=versions[label]: _whole_shard(v, part, plan, options),
        }
    steps["failures (unchanged)"] = lambda: analyze_failures(prepared, _tracker())
    if args.only:
        steps = {k: v for k, v in steps.items() if any(s in k for s in args.only)}
    gc.freeze()  # the corpus is not garbage: the service freezes it too
    best = dict.fromkeys(steps, float("inf"))
    for round_ in range(args.rounds):
        order = list(steps.items())
        for name, run in order if round_ % 2 == 0 else reversed(order):
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
    for name, seconds in sorted(best.items(), key=lambda kv: kv[0].split(":")[-1]):
        line = f"{name:<44}{seconds * 1000:>9.1f}"
        if name.startswith("after:") and (other := name.replace("after:", "before:")) in best:
            line += f"   {best[other] / seconds:.2f}x"
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
