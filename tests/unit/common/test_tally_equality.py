"""The comparison and usage tallies and the token estimate give exactly what the plain
per-message loops gave (frozen below): month keys formatted once per month, rows looked
up once per (vendor, model, month), per-character weights added in C in text order.
Checked on ~6,000 messages in ten languages (non-ASCII text takes the per-character
path), two vendors, several models, messages without a time."""

from __future__ import annotations

import json
import random
from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from convoscope_common.aggregates import tokens
from convoscope_common.aggregates.attribution import main_model, message_models
from convoscope_common.aggregates.comparison import (
    _SEP,
    ComparisonTally,
    _keys,
    _Tally,
    tally_comparison,
)
from convoscope_common.aggregates.prepared import PreparedConversation, prepare_corpus
from convoscope_common.aggregates.usage import tally_usage
from convoscope_common.comparison_types import UsageCell
from convoscope_common.corpus import Attachment, Conversation, Corpus, Message
from convoscope_common.results import ConversationQuality, Failure, MessageSentiment

DATA = Path(__file__).resolve().parents[2] / "data"

# --- the loops as they were -----------------------------------------------------------


def old_text_tokens(text: str, vendor: str) -> float:
    weights = tokens._WEIGHTS.get(vendor, tokens._WEIGHTS["chatgpt"])
    if text.isascii():
        return len(text) * weights[tokens._ASCII]
    total = 0.0
    for char in text:
        total += weights[tokens._CLASSES[bisect_right(tokens._STARTS, ord(char)) - 1]]
    return total


def old_message_tokens(message: Message, vendor: str) -> tuple[int, int]:
    def estimate(text: str) -> int:
        return max(1, round(old_text_tokens(text, vendor))) if text else 0

    if message.role == "user":
        return estimate(message.text) + sum(
            estimate(a.extracted_text) for a in message.attachments
        ), 0
    return 0, estimate(message.text) + sum(estimate(t) for t in message.thinking)


def old_tally_usage(conversations: list[PreparedConversation]) -> dict[str, UsageCell]:
    cells: dict[str, UsageCell] = {}
    for item in conversations:
        vendor = item.conversation.source
        for pm, model in zip(item.messages, message_models(item), strict=True):
            sent, produced = old_message_tokens(pm.message, vendor)
            month = pm.local.strftime("%Y-%m") if pm.local is not None else item.month
            key = _SEP.join((vendor, model, month or ""))
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = UsageCell()
            cell.messages += 1
            cell.input_tokens += sent
            cell.output_tokens += produced
    return cells


def old_tally_comparison(
    conversations: list[PreparedConversation],
    sentiment: list[MessageSentiment],
    findings: list[Failure] | None,
    qualities: list[ConversationQuality] | None,
) -> dict[str, ComparisonTally]:
    compound = {s.message_id: s.compound for s in sentiment}
    failures_of: dict[str, list[Failure]] = defaultdict(list)
    for finding in findings or []:
        failures_of[finding.message_id].append(finding)
    completion = {q.conversation_id: q.task_completion for q in qualities or []}
    tallies: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    for item in conversations:
        vendor = item.conversation.source
        models = message_models(item)
        for index, pm in enumerate(item.messages):
            message = pm.message
            month = pm.local.strftime("%Y-%m") if pm.local is not None else item.month
            sent, produced = old_message_tokens(message, vendor)
            rows = [tallies[key] for key in _keys(vendor, models[index], month)]
            for tally in rows:
                tally.conversations.add(item.id)
                tally.messages += 1
                tally.tokens += sent + produced
            if message.role != "assistant":
                continue
            following = item.messages[index + 1] if index + 1 < len(item.messages) else None
            score = None
            if following is not None and following.message.role == "user":
                score = compound.get(following.message.id)
            found = failures_of.get(message.id, [])
            for tally in rows:
                tally.reply_words.append(pm.words)
                tally.tool_calls += len(message.tool_uses)
                tally.replies_with_tools += bool(message.tool_uses)
                if score is not None:
                    tally.next_turn.append(score)
                for finding in found:
                    tally.failures[finding.type] += 1
                    tally.refusals += finding.evidence == "refusal"
        if item.id in completion:
            model = main_model(item, models)
            for key in _keys(vendor, model, item.month):
                tallies[key].completion[completion[item.id]] += 1
    return {
        _SEP.join(key): ComparisonTally(
            conversations=len(t.conversations),
            messages=t.messages,
            reply_words=t.reply_words,
            failures=dict(t.failures),
            refusals=t.refusals,
            tool_calls=t.tool_calls,
            replies_with_tools=t.replies_with_tools,
            next_turn=t.next_turn,
            completion=dict(t.completion),
            tokens=t.tokens,
        )
        for key, t in tallies.items()
    }


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
                assert tokens.text_tokens(text, vendor) == old_text_tokens(text, vendor)
                assert tokens.message_tokens(pm.message, vendor) == old_message_tokens(
                    pm.message, vendor
                )


def test_usage_cells_are_identical_and_in_the_same_order(prepared) -> None:
    new, old = tally_usage(prepared), old_tally_usage(prepared)
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
    old = old_tally_comparison(prepared, sentiment, findings, qualities)
    assert list(new) == list(old)
    assert new == old
