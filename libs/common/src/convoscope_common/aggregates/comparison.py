"""The ``comparison`` section: vendors and models side by side, overall and by month."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import cast

import msgspec

from convoscope_common.aggregates.attribution import main_model, message_usage
from convoscope_common.aggregates.exact import exact_mean
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.comparison_types import CompareGroup, Comparison
from convoscope_common.results import (
    ChangePoint,
    ConversationQuality,
    Failure,
    MessageSentiment,
)

_Key = tuple[str, str, str]  # (vendor, model, month)


@dataclass
class _Tally:
    conversations: set[str] = field(default_factory=set)
    messages: int = 0
    reply_words: list[int] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    refusals: int = 0
    tool_calls: int = 0
    replies_with_tools: int = 0
    next_turn: list[float] = field(default_factory=list)
    completion: Counter[str] = field(default_factory=Counter)
    tokens: int = 0


def _per_100(count: int, replies: int) -> float:
    return round(100.0 * count / replies, 4) if replies else 0.0


def _group(key: _Key, tally: ComparisonTally) -> CompareGroup:
    vendor, model, month = key
    replies = len(tally.reply_words)
    failures = sum(tally.failures.values())
    return CompareGroup(
        vendor=vendor,
        model=model,
        month=month,
        conversations=tally.conversations,
        messages=tally.messages,
        replies=replies,
        mean_reply_words=round(exact_mean(tally.reply_words), 4) if replies else 0.0,
        median_reply_words=round(float(median(tally.reply_words)), 4) if replies else 0.0,
        failures=failures,
        failures_per_100_replies=_per_100(failures, replies),
        failures_per_100_by_type={
            kind: _per_100(count, replies) for kind, count in sorted(tally.failures.items())
        },
        refusals=tally.refusals,
        refusals_per_100_replies=_per_100(tally.refusals, replies),
        tool_calls=tally.tool_calls,
        replies_with_tools=tally.replies_with_tools,
        next_turn_sentiment=round(exact_mean(tally.next_turn), 4) if tally.next_turn else None,
        next_turn_scored=len(tally.next_turn),
        task_completion=dict(sorted(tally.completion.items())),
        estimated_tokens=tally.tokens,
    )


def _keys(vendor: str, model: str, month: str | None) -> Iterable[_Key]:
    """The rows one message counts in: vendor, model, and both by month."""
    yield (vendor, "", "")
    yield (vendor, model, "")
    if month:
        yield (vendor, "", month)
        yield (vendor, model, month)


class ComparisonTally(msgspec.Struct, kw_only=True):
    """One (vendor, model, month) row's counts over some conversations, mergeable."""

    conversations: int = 0  # a conversation lies in one run of conversations only
    messages: int = 0
    reply_words: list[int] = []
    failures: dict[str, int] = {}
    refusals: int = 0
    tool_calls: int = 0
    replies_with_tools: int = 0
    next_turn: list[float] = []
    completion: dict[str, int] = {}
    tokens: int = 0


_SEP = "\x1f"  # joins a row key's parts (unit separator: in no vendor, model or month)


def tally_comparison(
    conversations: list[PreparedConversation],
    sentiment: list[MessageSentiment],
    findings: list[Failure] | None,
    qualities: list[ConversationQuality] | None,
) -> dict[str, ComparisonTally]:
    """The rows' counts over these conversations (keys: vendor, model, month joined)."""
    compound = {s.message_id: s.compound for s in sentiment}
    failures_of: dict[str, list[Failure]] = defaultdict(list)
    for finding in findings or []:
        failures_of[finding.message_id].append(finding)
    completion = {q.conversation_id: q.task_completion for q in qualities or []}
    tallies: dict[_Key, _Tally] = defaultdict(_Tally)
    # The rows of each (vendor, model, month) met, looked up once (in first-met order,
    # which is the order of the result's keys).
    rows_of: dict[tuple[str, str, str | None], list[_Tally]] = {}
    for item in conversations:
        vendor = item.conversation.source
        usage = message_usage(item)
        messages = item.messages
        last = len(messages) - 1
        cid = item.id
        # (messages, tokens) of the conversation per (vendor, model, month): added to the
        # rows once per conversation instead of once per message.
        counts: dict[tuple[str, str, str | None], list[int]] = {}
        for index, pm in enumerate(messages):
            message = pm.message
            model, sent, produced = usage[index]
            # A message without a time counts in its conversation's month.
            parts = (vendor, model, pm.month if pm.month is not None else item.month)
            rows = rows_of.get(parts)
            if rows is None:
                rows = rows_of[parts] = [tallies[key] for key in _keys(*parts)]
            count = counts.get(parts)
            if count is None:
                count = counts[parts] = [0, 0]
            count[0] += 1
            count[1] += sent + produced
            if message.role != "assistant":
                continue
            score = None
            if index < last:
                following = messages[index + 1].message
                if following.role == "user":
                    score = compound.get(following.id)
            found = failures_of.get(message.id)
            tools = len(message.tool_uses)
            words = pm.words
            for tally in rows:
                tally.reply_words.append(words)
                if tools:
                    tally.tool_calls += tools
                    tally.replies_with_tools += 1
                if score is not None:
                    tally.next_turn.append(score)
                if found:
                    for finding in found:
                        tally.failures[finding.type] += 1
                        tally.refusals += finding.evidence == "refusal"
        for met, (n, tokens) in counts.items():
            for tally in rows_of[met]:
                tally.conversations.add(cid)
                tally.messages += n
                tally.tokens += tokens
        if cid in completion:
            model = main_model(item, [row[0] for row in usage])
            for key in _keys(vendor, model, item.month):
                tallies[key].completion[completion[cid]] += 1
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


def merge_tallies(parts: list[dict[str, ComparisonTally]]) -> dict[str, ComparisonTally]:
    """The tallies of disjoint runs of conversations (in corpus order) as one."""
    merged: dict[str, ComparisonTally] = {}
    for part in parts:
        for key, tally in part.items():
            into = merged.setdefault(key, ComparisonTally())
            into.conversations += tally.conversations
            into.messages += tally.messages
            into.reply_words = into.reply_words + tally.reply_words
            for kind, n in tally.failures.items():
                into.failures[kind] = into.failures.get(kind, 0) + n
            into.refusals += tally.refusals
            into.tool_calls += tally.tool_calls
            into.replies_with_tools += tally.replies_with_tools
            into.next_turn = into.next_turn + tally.next_turn
            for status, n in tally.completion.items():
                into.completion[status] = into.completion.get(status, 0) + n
            into.tokens += tally.tokens
    return merged


def comparison_from_tallies(
    tallies: dict[str, ComparisonTally],
    quality_measured: bool,
    change_points: list[ChangePoint] | None = None,
) -> Comparison:
    """The comparison section from (merged) tallies."""
    ordered = sorted(
        ((cast(_Key, tuple(key.split(_SEP))), tally) for key, tally in tallies.items()),
        key=lambda kv: kv[0],
    )
    return Comparison(
        vendors=[_group(k, t) for k, t in ordered if not k[1] and not k[2]],
        models=[_group(k, t) for k, t in ordered if k[1] and not k[2]],
        monthly=[_group(k, t) for k, t in sorted(ordered, key=_month_order) if k[2]],
        quality_measured=quality_measured,
        change_points_dates=sorted({p.date for p in change_points or []}),
    )


def compare(
    conversations: list[PreparedConversation],
    sentiment: list[MessageSentiment],
    findings: list[Failure] | None,
    qualities: list[ConversationQuality] | None,
    change_points: list[ChangePoint] | None = None,
) -> Comparison:
    """Compare vendors and models (``findings`` and ``qualities`` None: no quality run)."""
    tallies = tally_comparison(conversations, sentiment, findings, qualities)
    return comparison_from_tallies(tallies, qualities is not None, change_points)


def _month_order(item: tuple[_Key, ComparisonTally]) -> tuple[bool, str, str, str]:
    vendor, model, month = item[0]
    return (bool(model), month, vendor, model)
