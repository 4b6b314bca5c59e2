"""A filter that selects everything must give back the analyzer's own aggregates.

The exporter recomputes aggregates after filtering; they must keep the analyzer's
meaning and shape (same keys, same ranking), or a filtered export contradicts an
unfiltered one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.pipeline import analyze
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_exporter.filtering import apply_filter, parse_filter

START = datetime(2025, 3, 8, 22, 30, tzinfo=UTC)  # DST starts overnight in St. John's


def _conversation(cid: str, offset_hours: int, texts: list[str], model: str) -> Conversation:
    created = START + timedelta(hours=offset_hours)
    messages = [
        Message(
            id=f"{cid}-m{i}",
            role="user" if i % 2 == 0 else "assistant",
            # The last message has no timestamp: it counts at the conversation's start.
            created_at=None if i == len(texts) - 1 else created + timedelta(minutes=7 * i),
            text=text,
            model=None if i % 2 == 0 else model,
        )
        for i, text in enumerate(texts)
    ]
    return Conversation(id=cid, title=None, created_at=created, model=model, messages=messages)


def _corpus() -> Corpus:
    return Corpus(
        conversations=[
            _conversation(
                "c1",
                0,
                [
                    "How do I fix this python error in my pandas code?",
                    "Use df.loc to select rows.",
                    "That is wrong, it still fails. You misunderstood me.",
                    "Sorry, here is the corrected python code.",
                ],
                "model-a",
            ),
            _conversation(
                "c2",
                5,
                ["Plan a cheap trip to Lisbon in May", "Here is a three-day plan.", "Great!"],
                "model-a",
            ),
            _conversation(
                "c3",
                30,
                ["Give me a bread recipe", "Mix flour, water, salt and yeast.", "Thanks"],
                "model-b",
            ),
            _conversation("c4", 77, ["What is a Roth IRA?", "A retirement account."], "model-b"),
        ]
    )


@pytest.mark.parametrize("timezone", ["UTC", "America/St_Johns"])
def test_a_filter_that_keeps_everything_reproduces_the_engine_results(timezone):
    corpus = _corpus()
    results = analyze(corpus, EngineOptions(timezone=timezone))
    filtered, kept = apply_filter(results, corpus, parse_filter({"roles": ["user", "assistant"]}))
    assert len(kept.conversations) == len(corpus.conversations)
    for section in ("summary", "topics", "sentiment", "quality", "temporal"):
        expected = msgspec.to_builtins(getattr(results, section))
        actual = msgspec.to_builtins(getattr(filtered, section))
        assert _close(actual, expected), section


def test_a_filter_listing_every_conversation_reproduces_the_engine_results():
    corpus = _corpus()
    # An empty conversation: the analyzer leaves it out of topic shares.
    empty = Conversation(id="c5", created_at=START, model="model-a")
    corpus = msgspec.structs.replace(corpus, conversations=[*corpus.conversations, empty])
    results = analyze(corpus, EngineOptions())
    every_id = [c.id for c in corpus.conversations]
    filtered, _ = apply_filter(results, corpus, parse_filter({"conversation_ids": every_id}))
    for section in ("summary", "topics", "sentiment", "quality", "temporal"):
        expected = msgspec.to_builtins(getattr(results, section))
        actual = msgspec.to_builtins(getattr(filtered, section))
        assert _close(actual, expected), section


def _close(actual: object, expected: object) -> bool:
    """Equal, with floats compared to 1e-3 (the analyzer rounds, the exporter may not)."""
    if isinstance(actual, float) and isinstance(expected, float):
        return abs(actual - expected) < 1e-3
    if isinstance(actual, dict) and isinstance(expected, dict):
        return list(actual) == list(expected) and all(
            _close(actual[k], expected[k]) for k in actual
        )
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            _close(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return actual == expected


def test_summary_models_count_assistant_messages_after_filtering():
    corpus = _corpus()
    results = analyze(corpus, EngineOptions())
    filtered, _ = apply_filter(results, corpus, parse_filter({"models": ["model-a"]}))
    # c1 has two model-a answers, c2 one: three assistant messages, not two conversations.
    assert filtered.summary.models == {"model-a": 3}
