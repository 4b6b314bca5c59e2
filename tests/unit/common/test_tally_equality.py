"""The comparison and usage tallies and the token estimate give exactly what the plain
per-message loops gave (frozen in reference_tallies.py): month keys formatted once per
month, rows looked up once per (vendor, model, month), per-character weights added in C
in text order.
Checked on ~6,000 messages in ten languages (non-ASCII text takes the per-character
path), two vendors, several models, messages without a time."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from convoscope_common.aggregates import tokens
from convoscope_common.aggregates.comparison import tally_comparison
from convoscope_common.aggregates.prepared import PreparedConversation, prepare_corpus
from convoscope_common.aggregates.usage import tally_usage
from convoscope_common.corpus import Attachment, Conversation, Corpus, Message
from convoscope_common.results import ConversationQuality, Failure, MessageSentiment


def _reference() -> ModuleType:
    path = Path(__file__).with_name("reference_tallies.py")
    spec = importlib.util.spec_from_file_location("reference_tallies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_tallies"] = module
    spec.loader.exec_module(module)
    return module


ref = _reference()
DATA = Path(__file__).resolve().parents[2] / "data"

# --- the corpus -------------------------------------------------------------------------


def _texts() -> list[str]:
    found = []
    for path in sorted((DATA / "multilingual").glob("*.jsonl")) + sorted(
        (DATA / "complaints").glob("*.jsonl")
    ):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.extend(row[k] for k in ("prev", "user", "next") if row.get(k))
    return [*found, "emoji \U0001f600 and \u2019quotes\u2019", "Ελληνικά", "x" * 50]


@pytest.fixture(scope="module")
def prepared() -> list[PreparedConversation]:
    rng = random.Random(12)
    texts = _texts()
    start = datetime(2023, 11, 20, tzinfo=UTC)
    conversations = []
    for c in range(600):
        source = rng.choice(("claude", "chatgpt"))
        models = [None, f"{source}-a", f"{source}-b"]
        when = start + timedelta(days=rng.randint(0, 500))
        messages = []
        for m in range(rng.randint(1, 18)):
            role = "user" if m % 2 == 0 or rng.random() < 0.1 else "assistant"
            message = Message(
                id=f"c{c}-{m}",
                role=role,
                text=rng.choice(texts),
                created_at=when if rng.random() < 0.9 else None,
                model=rng.choice(models) if role == "assistant" else None,
            )
            if rng.random() < 0.05:
                message.attachments = [Attachment(file_name="a", extracted_text=rng.choice(texts))]
            if role == "assistant" and rng.random() < 0.2:
                message.thinking = [rng.choice(texts)]
            messages.append(message)
            when += timedelta(hours=rng.choice((0, 1, 30, 700)))
        conversations.append(
            Conversation(
                id=f"c{c}",
                created_at=start if rng.random() < 0.9 else None,
                messages=messages,
                source=source,  # type: ignore[arg-type]
                model=rng.choice(models),
            )
        )
    return prepare_corpus(Corpus(conversations=conversations), UTC)


def test_the_corpus_holds_what_the_fast_paths_skip(prepared) -> None:
    messages = [pm for item in prepared for pm in item.messages]
    assert len(messages) >= 5_000
    assert sum(not pm.message.text.isascii() for pm in messages) > 1_000
    assert any(pm.local is None for pm in messages)
    assert len({pm.local.strftime("%Y-%m") for pm in messages if pm.local}) > 12


def test_token_estimates_are_identical(prepared) -> None:
    for item in prepared:
        for pm in item.messages:
            for vendor in ("claude", "chatgpt", "other"):
                text = pm.message.text
                assert tokens.text_tokens(text, vendor) == ref.old_text_tokens(text, vendor)
                assert tokens.message_tokens(pm.message, vendor) == ref.old_message_tokens(
                    pm.message, vendor
                )


def test_usage_cells_are_identical_and_in_the_same_order(prepared) -> None:
    new, old = tally_usage(prepared), ref.old_tally_usage(prepared)
    assert list(new) == list(old)
    assert new == old


def test_comparison_tallies_are_identical_and_in_the_same_order(prepared) -> None:
    rng = random.Random(3)
    sentiment = [
        MessageSentiment(
            conversation_id=item.id,
            message_id=pm.message.id,
            compound=rng.uniform(-1, 1),
            label="neutral",
        )
        for item in prepared
        for pm in item.messages
        if pm.message.role == "user" and rng.random() < 0.7
    ]
    findings = [
        Failure(
            id=f"f{i}",
            type=rng.choice(("accuracy_error", "unnecessary_refusal")),
            severity="medium",
            evidence=rng.choice(("refusal", "user_complaint")),
            conversation_id=item.id,
            message_id=pm.message.id,
            evidence_message_ids=[pm.message.id],
            matched="x",
        )
        for i, (item, pm) in enumerate(
            (item, pm) for item in prepared for pm in item.messages if rng.random() < 0.1
        )
    ]
    qualities = [
        ConversationQuality(
            conversation_id=item.id,
            task_completion=rng.choice(("completed", "abandoned")),
            completion_confidence=0.5,
            collaboration_score=0.5,
            turns=1,
            user_questions=0,
            code_blocks=0,
            clarification_requests=0,
            interruptions=0,
            monologues=0,
            quick_responses=0,
            long_gaps=0,
            failures=0,
        )
        for item in prepared
        if rng.random() < 0.8
    ]
    new = tally_comparison(prepared, sentiment, findings, qualities)
    old = ref.old_tally_comparison(prepared, sentiment, findings, qualities)
    assert list(new) == list(old)
    assert new == old
