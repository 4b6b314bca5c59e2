"""The prepared corpus (days and months formatted once per message, words counted without
splitting) and the summary, temporal and message-index walks that read it give exactly
what the frozen walks of reference_aggregates.py gave: on >= 10,000 messages of generated
claude.ai and ChatGPT exports plus texts in ten languages, odd whitespace, naive and
missing times, in UTC and in zones with daylight saving and half-hour offsets."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import msgspec
import pytest

from convoscope_common.aggregates.localtime import month_key
from convoscope_common.aggregates.prepared import PreparedConversation, prepare_corpus, word_count
from convoscope_common.aggregates.summary import count_summary, message_index
from convoscope_common.aggregates.temporal import count_temporal
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_ingest.parsing import parse_export

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data"
sys.path.insert(0, str(HERE.parents[1]))
from export_texts import load_generator  # noqa: E402


def _reference() -> ModuleType:
    path = HERE / "reference_aggregates.py"
    spec = importlib.util.spec_from_file_location("reference_aggregates", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _reference()
ODD = [
    "",
    " ",
    "a\x1cb\x1fc",
    "\tx\n\ny\r\x0b\x0cz ",
    "non\xa0breaking",
    "ideo\u3000space",
    "x" * 40,
]


def _texts() -> list[str]:
    found = list(ODD)
    for path in sorted((DATA / "multilingual").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.extend(row[k] for k in ("prev", "user", "next") if row.get(k))
    return found


def _odd_conversations(rng: random.Random) -> list[Conversation]:
    """Texts in ten languages, naive and missing times, months and years apart."""
    texts = _texts()
    start = datetime(2021, 3, 1, 12, 0)
    conversations = []
    for c in range(400):
        when = start + timedelta(hours=rng.randint(0, 40_000))
        messages = []
        for m in range(rng.randint(0, 14)):
            stamp = when if rng.random() < 0.5 else when.replace(tzinfo=UTC)
            messages.append(
                Message(
                    id=f"odd{c}-{m}",
                    role="user" if m % 2 == 0 else "assistant",
                    text=rng.choice(texts),
                    created_at=stamp if rng.random() < 0.85 else None,
                )
            )
            when += timedelta(minutes=rng.choice((1, 50, 600, 3000)))
        conversations.append(
            Conversation(
                id=f"odd{c}",
                created_at=start if rng.random() < 0.7 else None,
                messages=messages,
            )
        )
    return conversations


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    generator = load_generator()
    parsed = [
        parse_export(generator.generate_claude_export(450, seed=5)).corpus,
        parse_export(generator.generate_chatgpt_export(450, seed=6)).corpus,
    ]
    conversations = [c for p in parsed for c in p.conversations]
    conversations += _odd_conversations(random.Random(7))
    return Corpus(conversations=conversations)


ZONES = [
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
]


@pytest.fixture(scope="module", params=ZONES, ids=str)
def both(request, corpus) -> tuple[list[PreparedConversation], list[PreparedConversation]]:
    return prepare_corpus(corpus, request.param), ref.old_prepare_corpus(corpus, request.param)


def test_the_corpus_holds_what_the_fast_paths_skip(corpus) -> None:
    messages = [m for c in corpus.conversations for m in c.messages]
    assert len(messages) >= 10_000
    assert sum(not m.text.isascii() for m in messages) > 500
    assert any(m.created_at is None for m in messages)
    assert any(m.created_at is not None and m.created_at.tzinfo is None for m in messages)
    assert any(not c.messages for c in corpus.conversations)


def test_word_count_is_split(corpus) -> None:
    for text in [m.text for c in corpus.conversations for m in c.messages] + ODD:
        assert word_count(text) == len(text.split())
    rng = random.Random(1)
    alphabet = [chr(code) for code in range(128)] + ["\xa0", "\u2028", "\u3000", "é"]
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert word_count(text) == len(text.split()), repr(text)


def test_prepared_messages_are_identical(both) -> None:
    new, old = both
    assert len(new) == len(old)
    for a, b in zip(new, old, strict=True):
        assert (a.conversation, a.first_local, a.month) == (b.conversation, b.first_local, b.month)
        assert len(a.messages) == len(b.messages)
        for x, y in zip(a.messages, b.messages, strict=True):
            assert (x.conversation_id, x.position, x.local, x.words, x.language) == (
                y.conversation_id,
                y.position,
                y.local,
                y.words,
                y.language,
            )
            assert x.message is y.message
            if x.local is None:
                assert x.day is None and x.month is None
            else:
                assert x.day == x.local.date().isoformat()
                assert x.month == month_key(x.local) == x.local.strftime("%Y-%m")
                assert x.local.utcoffset() == y.local.utcoffset()


def _encoded(value: object) -> bytes:
    # JSON keeps the order of every dict and list: equal bytes, equal in order too.
    return msgspec.json.encode(value)


def test_summary_counts_are_identical(both) -> None:
    new, old = both
    assert _encoded(count_summary(new)) == _encoded(ref.old_count_summary(old))


def test_temporal_counts_are_identical_and_in_the_same_order(both) -> None:
    new, old = both
    ticks: list[int] = []
    counts = count_temporal(new, ticks.append)
    assert ticks == [len(item.messages) for item in new]
    assert _encoded(counts) == _encoded(ref.old_count_temporal(old))
    assert len(counts.weekly) > 50 and len(counts.lengths) > 12


def test_message_index_is_identical(both) -> None:
    new, old = both
    assert _encoded(message_index(new)) == _encoded(ref.old_message_index(old))
