"""The comparison and usage tallies and the token estimate as they were before the
month keys, row lookups and per-character weights were taken out of the per-message
loop: the reference of test_tally_equality.py and bench/bench_cues.py. Frozen copy;
not used by the service."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from convoscope_common.aggregates import tokens
from convoscope_common.aggregates.attribution import main_model, message_models
from convoscope_common.aggregates.comparison import _SEP, ComparisonTally, _keys, _Tally
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.comparison_types import UsageCell
from convoscope_common.corpus import Message
from convoscope_common.results import ConversationQuality, Failure, MessageSentiment


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
