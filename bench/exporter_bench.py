"""Exporter benchmark: render every format for synthetic corpora of two sizes.

Prints, per format, wall time, output size and peak Python memory (tracemalloc), and
the time ratio between the large and the small corpus (measured in this one run; ~2.0
means linear scaling). Run: ``.venv/bin/python bench/exporter_bench.py [conversations]``.
The synthetic results are built here, not by the analyzer engine.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from convoscope_common.aggregates.prepared import prepare_corpus
from convoscope_common.aggregates.summary import summarize
from convoscope_common.corpus import Conversation, Corpus, Message, ToolResult
from convoscope_common.results import (
    AnalysisResults,
    ConversationQuality,
    ConversationSentiment,
    ConversationTopics,
    Failure,
    FailureSummary,
    MessageSentiment,
    PrivacyFinding,
    PrivacyReport,
    Quality,
    Sentiment,
    Temporal,
    Topic,
    Topics,
    TopicScore,
)
from convoscope_exporter.filtering import ExportFilter, apply_filter, parse_filter
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import SUPPORTED_FORMATS, render_export
from convoscope_exporter.restrict import restrict_failures, restrict_sentiment, restrict_temporal

WORDS = "the data model query python export chart report user assistant table".split()
TOPICS = ["programming", "writing", "travel", "cooking", "science", "finance"]
LABELS = ["Very Positive", "Positive", "Neutral", "Negative", "Very Negative"]


def synthetic(conversations: int, per_conversation: int, seed: int = 7):
    """A corpus and consistent-enough results of the given size."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    convs = []
    for c in range(conversations):
        t0 = start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        messages = []
        for i in range(per_conversation):
            role = "user" if i % 2 == 0 else "assistant"
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 120)))
            msg = Message(
                id=f"c{c}-m{i}",
                role=role,
                created_at=t0 + timedelta(minutes=2 * i),
                text=text,
                model="model-a" if role == "assistant" else None,
            )
            if role == "assistant" and rng.random() < 0.02:
                msg.tool_results = [ToolResult(name="python", is_error=True, text="err")]
            messages.append(msg)
        convs.append(
            Conversation(
                id=f"c{c}",
                title=f"Conversation {c}",
                created_at=t0,
                model="model-a",
                messages=messages,
            )
        )
    corpus = Corpus(conversations=convs)
    prepared = prepare_corpus(corpus, UTC)
    assignments, members = [], {t: [] for t in TOPICS}
    for conv in convs:
        chosen = rng.sample(TOPICS, 2)
        assignments.append(
            ConversationTopics(
                conversation_id=conv.id,
                topics=[TopicScore(topic_id=t, score=round(rng.random(), 3)) for t in chosen],
            )
        )
        for t in chosen:
            members[t].append(conv.id)
    topics = Topics(
        taxonomy=[
            Topic(
                id=t,
                label=t.title(),
                kind="taxonomy",
                conversation_ids=ids,
                conversations=len(ids),
                share=len(ids) / len(convs),
            )
            for t, ids in members.items()
        ],
        assignments=assignments,
    )
    by_message = [
        MessageSentiment(
            conversation_id=conv.id,
            message_id=m.id,
            compound=round(rng.uniform(-1, 1), 3),
            label=rng.choice(LABELS),
        )
        for conv in convs
        for m in conv.messages
        if m.role == "user"
    ]
    sentiment = restrict_sentiment(
        Sentiment(
            by_message=by_message,
            by_conversation=[
                ConversationSentiment(
                    conversation_id=conv.id, start=0.1, end=0.2, delta=0.1, label=rng.choice(LABELS)
                )
                for conv in convs
            ],
        ),
        prepared,
    )
    findings = [
        Failure(
            id=f"f{k}",
            type=rng.choice(["hallucination", "formatting", "repetition"]),
            severity=rng.choice(["high", "medium", "low"]),
            evidence="user_complaint",
            conversation_id=conv.id,
            message_id=m.id,
            matched="x",
        )
        for k, (conv, m) in enumerate(
            (conv, m)
            for conv in convs
            for m in conv.messages
            if m.role == "assistant" and rng.random() < 0.05
        )
    ]
    quality = Quality(
        conversations=[
            ConversationQuality(
                conversation_id=conv.id,
                task_completion="completed",
                completion_confidence=0.8,
                collaboration_score=0.5,
            )
            for conv in convs
        ],
        failures=restrict_failures(FailureSummary(findings=findings), prepared),
    )
    privacy = PrivacyReport(
        findings=[
            PrivacyFinding(
                conversation_id=conv.id, message_id=conv.messages[0].id, entity_type="EMAIL_ADDRESS"
            )
            for conv in convs[::10]
        ]
    )
    results = AnalysisResults(
        summary=summarize(prepared),
        topics=topics,
        sentiment=sentiment,
        quality=quality,
        temporal=restrict_temporal(Temporal(), prepared, topics, sentiment),
        privacy=privacy,
    )
    return results, corpus


def measure(results, corpus, flt: ExportFilter) -> dict[str, tuple[float, int, int]]:
    """Per format: (seconds, output bytes, peak traced bytes).

    Time and memory come from separate renders: tracemalloc slows allocation-heavy code.
    """
    manifest = build_manifest(
        results=results,
        export_id="bench",
        job_id="bench",
        formats=list(SUPPORTED_FORMATS),
        include_pii=False,
        flt=flt,
    )
    out: dict[str, tuple[float, int, int]] = {}
    t = time.perf_counter()
    results, corpus = apply_filter(results, corpus, flt)
    out["filter"] = (time.perf_counter() - t, 0, 0)
    for fmt in SUPPORTED_FORMATS:
        t = time.perf_counter()
        files = render_export(fmt, results, corpus, manifest=manifest)
        elapsed = time.perf_counter() - t
        tracemalloc.start()
        render_export(fmt, results, corpus, manifest=manifest)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[fmt] = (elapsed, sum(len(f.data) for f in files), peak)
    return out


def main() -> None:
    small_n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    per = 20
    flt = parse_filter({"roles": ["user", "assistant"]})  # exercises the recompute path
    runs = {}
    for n in (small_n, 2 * small_n):
        results, corpus = synthetic(n, per)
        runs[n] = measure(results, corpus, flt)
    print(f"exporter bench: {per} messages per conversation; filter applied (recompute path)")
    print(
        f"{'format':8} {'conv':>6} {'messages':>9} {'seconds':>8} {'MB out':>7} "
        f"{'peak MB':>8} {'msg/s':>9}"
    )
    for n, figures in runs.items():
        for fmt, (secs, size, peak) in figures.items():
            rate = n * per / secs if secs else float("inf")
            print(
                f"{fmt:8} {n:>6} {n * per:>9} {secs:>8.3f} {size / 1e6:>7.2f} "
                f"{peak / 1e6:>8.1f} {rate:>9.0f}"
            )
    print("time ratio large/small (2x data; ~2.0 = linear):")
    for fmt in runs[small_n]:
        small, large = runs[small_n][fmt][0], runs[2 * small_n][fmt][0]
        print(f"  {fmt:8} {large / small if small else float('nan'):.2f}")


if __name__ == "__main__":
    main()
