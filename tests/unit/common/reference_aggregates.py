"""prepare_corpus, count_summary, count_temporal and message_index as they were before
days and months were computed once per message in the prepared corpus (and words counted
without splitting): the reference of test_aggregate_equality.py. Frozen copy; not used by
the service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import tzinfo

from convoscope_common.aggregates.localtime import message_time, month_key, to_local, week_key
from convoscope_common.aggregates.prepared import PreparedConversation, PreparedMessage
from convoscope_common.aggregates.summary import SummaryCounts
from convoscope_common.aggregates.temporal import TemporalCounts
from convoscope_common.corpus import ROLES, Corpus, Message
from convoscope_common.results import MessageRecord


def word_count(text: str) -> int:
    return len(text.split())


def old_prepare_corpus(
    corpus: Corpus, zone: tzinfo, tick: Callable[[], None] | None = None
) -> list[PreparedConversation]:
    """Every conversation with local times and word counts, in corpus order.

    ``tick`` is called once per conversation (progress and checkpoints).
    """
    prepared: list[PreparedConversation] = []
    for conversation in corpus.conversations:
        if tick is not None:
            tick()
        item = PreparedConversation(conversation=conversation)
        for position, message in enumerate(conversation.messages):
            when = message_time(message, conversation)
            local = to_local(when, zone) if when is not None else None
            item.messages.append(
                PreparedMessage(
                    conversation_id=conversation.id,
                    message=message,
                    position=position,
                    local=local,
                    words=word_count(message.text),
                )
            )
        times = [m.local for m in item.messages if m.local is not None]
        if times:
            item.first_local = min(times)
        elif conversation.created_at is not None:
            created = message_time(Message(id="", role="user"), conversation)
            item.first_local = to_local(created, zone) if created is not None else None
        item.month = month_key(item.first_local) if item.first_local is not None else None
        prepared.append(item)
    return prepared


def old_count_summary(conversations: list[PreparedConversation]) -> SummaryCounts:
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
            tool_errors += sum(1 for result in message.tool_results if result.is_error)
            attachments += len(message.attachments)
            files += len(message.files)
            citations += len(message.citations)
            if message.role == "assistant":
                model = message.model or conversation.model
                if model:
                    models[model] += 1
            if pm.local is not None:
                day = pm.local.date().isoformat()
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


def old_count_temporal(
    conversations: list[PreparedConversation], tick: Callable[[int], None] | None = None
) -> TemporalCounts:
    """The counts behind :func:`temporal`; ``tick`` gets each conversation's message count."""
    counts = TemporalCounts()
    daily = counts.daily
    weekly = counts.weekly
    monthly = counts.monthly
    heatmap = counts.heatmap
    lengths = counts.lengths
    times = counts.times
    for item in conversations:
        if tick is not None:
            tick(len(item.messages))
        days: set[str] = set()
        for pm in item.messages:
            local = pm.local
            if local is None:
                continue
            day = local.date().isoformat()
            daily[day] = daily.get(day, 0) + 1
            week = week_key(local)
            weekly[week] = weekly.get(week, 0) + 1
            month = month_key(local)
            monthly[month] = monthly.get(month, 0) + 1
            heatmap[local.weekday()][local.hour] += 1
            days.add(day)
            pair = lengths.setdefault(month, {}).setdefault(pm.message.role, [0, 0])
            pair[0] += pm.words
            pair[1] += 1
            times.append(local.timestamp())
        for day in days:
            counts.day_conversations[day] = counts.day_conversations.get(day, 0) + 1
    return counts


def old_message_index(conversations: list[PreparedConversation]) -> list[MessageRecord]:
    """The per-message drill-down index (ids, local date/weekday/hour, sizes)."""
    records: list[MessageRecord] = []
    # One string per distinct day instead of one per message (memory on large corpora).
    dates: dict[str, str] = {}
    for item in conversations:
        for pm in item.messages:
            local = pm.local
            date = None
            if local is not None:
                date = local.date().isoformat()
                date = dates.setdefault(date, date)
            records.append(
                MessageRecord(
                    conversation_id=pm.conversation_id,
                    message_id=pm.message.id,
                    role=pm.message.role,
                    date=date,
                    weekday=local.weekday() if local is not None else None,
                    hour=local.hour if local is not None else None,
                    words=pm.words,
                    characters=len(pm.message.text),
                    language=pm.language,
                )
            )
    return records
