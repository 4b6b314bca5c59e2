"""Corpus-wide counts: conversations, messages, words, models, tool use, voice, images."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from statistics import median

import msgspec

from convoscope_common.aggregates.exact import exact_mean
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.corpus import ROLES
from convoscope_common.results import MessageRecord, Summary

# Tool and server names come from the export: the largest groups are listed, the rest summed.
MAX_TOOL_KEYS = 50
OTHER = "(other)"


def _mean(values: list[int]) -> float:
    return round(exact_mean(values), 4) if values else 0.0


def _median(values: list[int]) -> float:
    return round(float(median(values)), 4) if values else 0.0


def _top(counts: Counter[str]) -> dict[str, int]:
    """Largest first (ties by name), at most MAX_TOOL_KEYS keys plus "(other)"."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = dict(ranked[:MAX_TOOL_KEYS])
    rest = sum(count for _, count in ranked[MAX_TOOL_KEYS:])
    if rest:
        top[OTHER] = top.get(OTHER, 0) + rest
    return top


class SummaryCounts(msgspec.Struct, kw_only=True):
    """What :func:`summarize` counts over some conversations, before means and medians.

    Counts of disjoint runs of conversations merge with :func:`merge_summary_counts`
    (lists concatenated in corpus order, dicts in first-seen order), so a corpus
    summarised in shards equals the corpus summarised at once.
    """

    by_role: dict[str, int] = {}
    words_by_role: dict[str, list[int]] = {}
    all_words: list[int] = []
    models: dict[str, int] = {}
    characters: int = 0
    thinking: int = 0
    tool_uses: int = 0
    tool_errors: int = 0
    attachments: int = 0
    files: int = 0
    citations: int = 0
    voice: int = 0
    images_generated: int = 0
    images_uploaded: int = 0
    documents: int = 0
    by_tool: dict[str, int] = {}
    by_server: dict[str, int] = {}
    per_conversation: list[int] = []
    empty_ids: list[str] = []
    first_date: str | None = None
    last_date: str | None = None
    abandoned_branches: int = 0
    abandoned_messages: int = 0
    hidden_messages: int = 0


def count_summary(conversations: list[PreparedConversation]) -> SummaryCounts:
    """The counts behind :func:`summarize` for these conversations."""
    by_role: Counter[str] = Counter()
    words_by_role: dict[str, list[int]] = {role: [] for role in ROLES}
    all_words: list[int] = []
    models: Counter[str] = Counter()
    characters = 0
    thinking = tool_uses = tool_errors = attachments = files = citations = 0
    voice = images_generated = images_uploaded = documents = 0
    by_tool: Counter[str] = Counter()
    by_server: Counter[str] = Counter()
    per_conversation: list[int] = []
    empty_ids: list[str] = []
    first_date: str | None = None
    last_date: str | None = None
    previous_day: str | None = None
    for item in conversations:
        conversation = item.conversation
        per_conversation.append(len(item.messages))
        if not item.messages:
            empty_ids.append(conversation.id)
        for pm in item.messages:
            message = pm.message
            by_role[message.role] += 1
            words_by_role.setdefault(message.role, []).append(pm.words)
            all_words.append(pm.words)
            characters += len(message.text)
            # Corpora written before ingest counted blocks have only the texts.
            thinking += message.thinking_blocks or len(message.thinking)
            tool_uses += len(message.tool_uses)
            for tool in message.tool_uses:
                by_tool[tool.name or "(unnamed)"] += 1
                if tool.server:
                    by_server[tool.server] += 1
                documents += tool.creates_document
            voice += message.voice
            images_generated += message.images_generated
            images_uploaded += message.images_uploaded
            if message.tool_results:
                tool_errors += sum(1 for result in message.tool_results if result.is_error)
            attachments += len(message.attachments)
            files += len(message.files)
            citations += len(message.citations)
            if message.role == "assistant":
                model = message.model or conversation.model
                if model:
                    models[model] += 1
            day = pm.day
            # Consecutive messages mostly share their day (one string object per day).
            if day is not None and day is not previous_day:
                previous_day = day
                if first_date is None or day < first_date:
                    first_date = day
                if last_date is None or day > last_date:
                    last_date = day
    return SummaryCounts(
        by_role=dict(by_role),
        words_by_role=words_by_role,
        all_words=all_words,
        models=dict(models),
        characters=characters,
        thinking=thinking,
        tool_uses=tool_uses,
        tool_errors=tool_errors,
        attachments=attachments,
        files=files,
        citations=citations,
        voice=voice,
        images_generated=images_generated,
        images_uploaded=images_uploaded,
        documents=documents,
        by_tool=dict(by_tool),
        by_server=dict(by_server),
        per_conversation=per_conversation,
        empty_ids=empty_ids,
        first_date=first_date,
        last_date=last_date,
        abandoned_branches=sum(c.conversation.abandoned_branches for c in conversations),
        abandoned_messages=sum(c.conversation.abandoned_messages for c in conversations),
        hidden_messages=sum(c.conversation.hidden_messages for c in conversations),
    )


_SUMMED = (
    "characters thinking tool_uses tool_errors attachments files citations voice "
    "images_generated images_uploaded documents abandoned_branches abandoned_messages "
    "hidden_messages"
).split()


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, n in counts.items():
        into[key] = into.get(key, 0) + n


def merge_summary_counts(parts: list[SummaryCounts]) -> SummaryCounts:
    """The counts of consecutive runs of conversations (in corpus order) as one."""
    merged = SummaryCounts(words_by_role={role: [] for role in ROLES})
    for part in parts:
        _add(merged.by_role, part.by_role)
        for role, values in part.words_by_role.items():
            merged.words_by_role.setdefault(role, []).extend(values)
        merged.all_words.extend(part.all_words)
        _add(merged.models, part.models)
        _add(merged.by_tool, part.by_tool)
        _add(merged.by_server, part.by_server)
        for name in _SUMMED:
            setattr(merged, name, getattr(merged, name) + getattr(part, name))
        merged.per_conversation.extend(part.per_conversation)
        merged.empty_ids.extend(part.empty_ids)
        if part.first_date is not None and (
            merged.first_date is None or part.first_date < merged.first_date
        ):
            merged.first_date = part.first_date
        if part.last_date is not None and (
            merged.last_date is None or part.last_date > merged.last_date
        ):
            merged.last_date = part.last_date
    return merged


def summary_from_counts(counts: SummaryCounts) -> Summary:
    """Counts, means and medians from :func:`count_summary` (merged) counts."""
    by_role = counts.by_role
    words_by_role = counts.words_by_role
    all_words = counts.all_words
    per_conversation = counts.per_conversation
    return Summary(
        conversations=len(per_conversation),
        empty_conversations=len(counts.empty_ids),
        messages=sum(by_role.values()),
        messages_by_role={role: by_role.get(role, 0) for role in (*ROLES, *sorted(by_role))},
        words=sum(all_words),
        characters=counts.characters,
        words_by_role={role: sum(values) for role, values in words_by_role.items()},
        mean_messages_per_conversation=_mean(per_conversation),
        median_messages_per_conversation=_median(per_conversation),
        mean_words_per_message=_mean(all_words),
        median_words_per_message=_median(all_words),
        mean_words_by_role={role: _mean(values) for role, values in words_by_role.items()},
        median_words_by_role={role: _median(values) for role, values in words_by_role.items()},
        models=dict(sorted(counts.models.items(), key=lambda kv: (-kv[1], kv[0]))),
        thinking_blocks=counts.thinking,
        tool_uses=counts.tool_uses,
        tool_errors=counts.tool_errors,
        attachments=counts.attachments,
        files=counts.files,
        citations=counts.citations,
        voice_turns=counts.voice,
        images_generated=counts.images_generated,
        images_uploaded=counts.images_uploaded,
        tool_calls_by_tool=_top(Counter(counts.by_tool)),
        tool_calls_by_mcp_server=_top(Counter(counts.by_server)),
        canvas_documents=counts.documents,
        abandoned_branches=counts.abandoned_branches,
        abandoned_messages=counts.abandoned_messages,
        hidden_messages=counts.hidden_messages,
        date_range=(
            [counts.first_date, counts.last_date]
            if counts.first_date is not None and counts.last_date is not None
            else []
        ),
        empty_conversation_ids=list(counts.empty_ids),
    )


def summarize(conversations: list[PreparedConversation]) -> Summary:
    """Counts, means and medians over the whole corpus.

    ``models`` counts assistant messages per model (the message's own model,
    else the conversation's). Means per conversation include empty ones.
    """
    return summary_from_counts(count_summary(conversations))


def message_index(conversations: list[PreparedConversation]) -> list[MessageRecord]:
    """The per-message drill-down index (ids, local date/weekday/hour, sizes)."""
    return list(message_records(conversations))


def message_records(conversations: list[PreparedConversation]) -> Iterator[MessageRecord]:
    """The records of :func:`message_index`, one at a time (a caller that encodes them
    as they come never holds them all)."""
    for item in conversations:
        for pm in item.messages:
            local = pm.local
            message = pm.message
            yield (
                MessageRecord(
                    conversation_id=pm.conversation_id,
                    message_id=message.id,
                    role=message.role,
                    # One string per distinct day of the preparation (memory on large corpora).
                    date=pm.day,
                    weekday=local.weekday() if local is not None else None,
                    hour=local.hour if local is not None else None,
                    words=pm.words,
                    characters=len(message.text),
                    language=pm.language,
                )
            )
