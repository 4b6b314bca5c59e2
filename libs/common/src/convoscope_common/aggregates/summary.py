"""Corpus-wide counts: conversations, messages, words, models, tool use, voice, images."""

from __future__ import annotations

from collections import Counter
from statistics import mean, median

from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.corpus import ROLES
from convoscope_common.results import MessageRecord, Summary

# Tool and server names come from the export: the largest groups are listed, the rest summed.
MAX_TOOL_KEYS = 50
OTHER = "(other)"


def _mean(values: list[int]) -> float:
    return round(float(mean(values)), 4) if values else 0.0


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


def summarize(conversations: list[PreparedConversation]) -> Summary:
    """Counts, means and medians over the whole corpus.

    ``models`` counts assistant messages per model (the message's own model,
    else the conversation's). Means per conversation include empty ones.
    """
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
    dates: list[str] = []
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
                dates.append(pm.local.date().isoformat())
    return Summary(
        conversations=len(conversations),
        empty_conversations=len(empty_ids),
        messages=sum(by_role.values()),
        messages_by_role={role: by_role.get(role, 0) for role in (*ROLES, *sorted(by_role))},
        words=sum(all_words),
        characters=characters,
        words_by_role={role: sum(values) for role, values in words_by_role.items()},
        mean_messages_per_conversation=_mean(per_conversation),
        median_messages_per_conversation=_median(per_conversation),
        mean_words_per_message=_mean(all_words),
        median_words_per_message=_median(all_words),
        mean_words_by_role={role: _mean(values) for role, values in words_by_role.items()},
        median_words_by_role={role: _median(values) for role, values in words_by_role.items()},
        models=dict(sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))),
        thinking_blocks=thinking,
        tool_uses=tool_uses,
        tool_errors=tool_errors,
        attachments=attachments,
        files=files,
        citations=citations,
        voice_turns=voice,
        images_generated=images_generated,
        images_uploaded=images_uploaded,
        tool_calls_by_tool=_top(by_tool),
        tool_calls_by_mcp_server=_top(by_server),
        canvas_documents=documents,
        abandoned_branches=sum(c.conversation.abandoned_branches for c in conversations),
        abandoned_messages=sum(c.conversation.abandoned_messages for c in conversations),
        hidden_messages=sum(c.conversation.hidden_messages for c in conversations),
        date_range=[min(dates), max(dates)] if dates else [],
        empty_conversation_ids=empty_ids,
    )


def message_index(conversations: list[PreparedConversation]) -> list[MessageRecord]:
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
