"""The dashboard under a filter: the light results document recomputed for the selected
conversations and messages (the export filter's meaning: conversation criteria pick
conversations, dates and roles pick messages inside them).

Pure: reads a :class:`BrowseIndex`, returns :class:`LightResults`. Without a filter the
numbers equal the engine's (a test compares them), so the page draws one structure
whether filtered or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from statistics import mean, median

from convoscope_common.aggregates.temporal import sessions_of, streaks_of
from convoscope_common.light import (
    LightFailures,
    LightLanguages,
    LightPrivacy,
    LightQuality,
    LightResults,
    LightSentiment,
    LightTopic,
    LightTopics,
    collaboration_band,
)
from convoscope_common.result_languages import LanguageCoverage
from convoscope_common.results import (
    CalendarDay,
    SentimentPeriod,
    SessionStats,
    Summary,
    Temporal,
)
from convoscope_gateway.browse_filters import BrowseQuery, matching_conversations, message_matches
from convoscope_gateway.browse_index import BrowseIndex, MsgKey

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _mean(values: list[float]) -> float:
    return round(mean(values), 4) if values else 0.0


def _median(values: list[float]) -> float:
    return round(float(median(values)), 4) if values else 0.0


def _selection(index: BrowseIndex, q: BrowseQuery) -> tuple[list[str], list[MsgKey]]:
    conversations = [row.conversation_id for row in matching_conversations(index, q)]
    keys = [
        (rec.conversation_id, rec.message_id)
        for cid in conversations
        for rec in index.records.get(cid, [])
        if not q.has_message_criteria()
        or message_matches(index, (rec.conversation_id, rec.message_id), q)
    ]
    return conversations, keys


def _summary(index: BrowseIndex, conversations: list[str], keys: list[MsgKey]) -> Summary:
    by_role: Counter[str] = Counter()
    words_by_role: defaultdict[str, list[int]] = defaultdict(list)
    models: Counter[str] = Counter()
    per_conversation: Counter[str] = Counter()
    thinking = tools = tool_errors = attachments = files = citations = characters = 0
    dates = []
    for key in keys:
        rec = index.record[key]
        msg = index.message.get(key)
        by_role[rec.role] += 1
        words_by_role[rec.role].append(rec.words)
        per_conversation[key[0]] += 1
        characters += rec.characters
        if rec.date:
            dates.append(rec.date)
        if msg is None:
            continue
        thinking += len(msg.thinking)
        tools += len(msg.tool_uses)
        tool_errors += sum(1 for r in msg.tool_results if r.is_error)
        attachments += len(msg.attachments)
        files += len(msg.files)
        citations += len(msg.citations)
        if msg.role == "assistant" and (model := msg.model or index.conversation[key[0]].model):
            models[model] += 1
    words = [w for values in words_by_role.values() for w in values]
    counts = [float(per_conversation.get(cid, 0)) for cid in conversations]
    convs = [index.conversation[cid] for cid in conversations]
    return Summary(
        conversations=len(conversations),
        empty_conversations=sum(1 for c in convs if not c.messages),
        messages=len(keys),
        messages_by_role={
            role: by_role.get(role, 0) for role in ("user", "assistant", *sorted(by_role))
        },
        words=sum(words),
        characters=characters,
        words_by_role={role: sum(v) for role, v in words_by_role.items()},
        mean_messages_per_conversation=_mean(counts),
        median_messages_per_conversation=_median(counts),
        mean_words_per_message=_mean([float(w) for w in words]),
        median_words_per_message=_median([float(w) for w in words]),
        models=dict(sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))),
        thinking_blocks=thinking,
        tool_uses=tools,
        tool_errors=tool_errors,
        attachments=attachments,
        files=files,
        citations=citations,
        abandoned_branches=sum(c.abandoned_branches for c in convs),
        abandoned_messages=sum(c.abandoned_messages for c in convs),
        hidden_messages=sum(c.hidden_messages for c in convs),
        date_range=[min(dates), max(dates)] if dates else [],
    )


def _topics(index: BrowseIndex, conversations: list[str]) -> LightTopics | None:
    full = index.results.topics
    if full is None:
        return None
    chosen = set(conversations)
    month = {cid: (index.rows[cid].first_date or "")[:7] for cid in conversations}
    members: defaultdict[str, list[str]] = defaultdict(list)
    for cid in conversations:
        for score in index.topics.get(cid, []):
            members[score.topic_id].append(cid)

    def one(topic_id: str, label: str, kind: str, terms: list[str]) -> LightTopic:
        ids = [cid for cid in members.get(topic_id, []) if cid in chosen]
        return LightTopic(
            id=topic_id,
            label=label,
            kind=kind,  # type: ignore[arg-type]
            top_terms=terms,
            conversations=len(ids),
            share=round(len(ids) / len(chosen), 4) if chosen else 0.0,
            monthly=dict(sorted(Counter(month[c] for c in ids if month[c]).items())),
        )

    return LightTopics(
        taxonomy=[one(t.id, t.label, t.kind, t.top_terms) for t in full.taxonomy],
        learned=[one(t.id, t.label, t.kind, t.top_terms) for t in full.learned],
    )


def _sentiment(
    index: BrowseIndex, conversations: list[str], keys: list[MsgKey]
) -> LightSentiment | None:
    full = index.results.sentiment
    if full is None:
        return None
    scored = [(index.record[k], index.sentiment[k]) for k in keys if k in index.sentiment]
    labels: Counter[str] = Counter(ms.label for _, ms in scored)
    flags = Counter[str]()
    months: defaultdict[str, list[tuple[float, str]]] = defaultdict(list)
    for rec, ms in scored:
        flags.update(f for f in ("urgent", "questioning", "collaborative") if getattr(ms, f))
        if rec.date:
            months[rec.date[:7]].append((ms.compound, ms.label))
    convs: Counter[str] = Counter(
        index.conv_sentiment[c].label for c in conversations if c in index.conv_sentiment
    )
    read = set(full.languages)
    not_scored = Counter(
        {lang: n for lang, n in _user_languages(index, keys).items() if lang not in read}
    )
    unscored = sum(not_scored.values())
    return LightSentiment(
        model=full.model,
        messages=len(scored),
        mean_compound=_mean([ms.compound for _, ms in scored]),
        labels={label: labels.get(label, 0) for label in full.labels} or dict(labels),
        flags={name: flags.get(name, 0) for name in full.flags} or dict(flags),
        monthly=[
            SentimentPeriod(
                period=period,
                mean_compound=_mean([c for c, _ in values]),
                messages=len(values),
                labels=dict(Counter(label for _, label in values)),
            )
            for period, values in sorted(months.items())
        ],
        conversation_labels=dict(convs),
        languages=full.languages,
        not_scored=unscored,
        not_scored_by_language=dict(not_scored.most_common()),
        coverage=round(len(scored) / (len(scored) + unscored), 4) if unscored else 1.0,
    )


def _user_languages(index: BrowseIndex, keys: list[MsgKey]) -> Counter[str]:
    """Non-empty user messages per language (the engine's count, over the selection)."""
    counts: Counter[str] = Counter()
    for key in keys:
        rec = index.record[key]
        if rec.role != "user" or not rec.language:
            continue
        message = index.message.get(key)
        if message is not None and message.text.strip():
            counts[rec.language] += 1
    return counts


def _languages(
    index: BrowseIndex, conversations: list[str], keys: list[MsgKey]
) -> LightLanguages | None:
    full = index.results.languages
    if full is None:
        return None
    messages = _user_languages(index, keys)
    per_conversation = Counter(index.language[c] for c in conversations if c in index.language)
    coverage = []
    for item in full.coverage:
        read = set(item.languages)
        if item.analysis == "sentiment":
            scored = sum(1 for k in keys if k in index.sentiment)
        else:
            scored = sum(n for lang, n in messages.items() if lang in read)
        coverage.append(
            LanguageCoverage(
                analysis=item.analysis,
                languages=item.languages,
                messages=scored,
                other_messages={lang: n for lang, n in messages.most_common() if lang not in read},
            )
        )
    return LightLanguages(
        detector=full.detector,
        supported=full.supported,
        messages=dict(messages.most_common()),
        conversations=dict(per_conversation.most_common()),
        coverage=coverage,
    )


def _quality(
    index: BrowseIndex, conversations: list[str], keys: list[MsgKey]
) -> LightQuality | None:
    full = index.results.quality
    if full is None:
        return None
    rows = [index.quality[c] for c in conversations if c in index.quality]
    chosen = set(keys)
    findings = [f for c in conversations for f in index.failures.get(c, [])]
    findings = [f for f in findings if (f.conversation_id, f.message_id) in chosen]
    by_type: Counter[str] = Counter(f.type for f in findings)
    by_severity: Counter[str] = Counter(f.severity for f in findings)
    matrix: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        matrix[f.type][f.severity] += 1
    assistant = sum(1 for k in keys if index.record[k].role == "assistant")
    failed = len({(f.conversation_id, f.message_id) for f in findings})
    effectiveness = [r.response_effectiveness for r in rows if r.response_effectiveness is not None]
    return LightQuality(
        conversations=len(rows),
        task_completion={
            name: sum(1 for r in rows if r.task_completion == name) for name in full.task_completion
        },
        mean_collaboration_score=_mean([r.collaboration_score for r in rows]),
        mean_response_effectiveness=_mean(effectiveness) if effectiveness else None,
        collaboration_bands=dict(
            sorted(Counter(collaboration_band(r.collaboration_score) for r in rows).items())
        ),
        failures=LightFailures(
            total=len(findings),
            assistant_messages=assistant,
            assistant_messages_with_failure=failed,
            failure_rate=round(failed / assistant, 4) if assistant else 0.0,
            by_type={name: by_type.get(name, 0) for name in full.failures.by_type} or dict(by_type),
            by_severity={name: by_severity.get(name, 0) for name in full.failures.by_severity}
            or dict(by_severity),
            by_type_and_severity={t: dict(c) for t, c in sorted(matrix.items())},
        ),
    )


def _sessions(index: BrowseIndex, keys: list[MsgKey], gap_minutes: int) -> SessionStats:
    times = sorted(
        m.created_at.timestamp() for k in keys if (m := index.message.get(k)) and m.created_at
    )
    return sessions_of(times, gap_minutes)


def _temporal(index: BrowseIndex, keys: list[MsgKey]) -> Temporal | None:
    full = index.results.temporal
    if full is None:
        return None
    daily: Counter[str] = Counter()
    conversations_by_day: defaultdict[str, set[str]] = defaultdict(set)
    heatmap = [[0] * 24 for _ in range(7)]
    for key in keys:
        rec = index.record[key]
        if rec.date:
            daily[rec.date] += 1
            conversations_by_day[rec.date].add(key[0])
        if rec.weekday is not None and rec.hour is not None:
            heatmap[rec.weekday][rec.hour] += 1
    monthly: Counter[str] = Counter()
    for day, n in daily.items():
        monthly[day[:7]] += n
    hours = Counter({h: sum(row[h] for row in heatmap) for h in range(24)})
    weekdays = Counter({d: sum(heatmap[d]) for d in range(7)})
    days = sorted(daily)
    return Temporal(
        timezone=full.timezone,
        date_range=[days[0], days[-1]] if days else [],
        daily=dict(sorted(daily.items())),
        monthly=dict(sorted(monthly.items())),
        heatmap=heatmap,
        calendar=[
            CalendarDay(date=d, messages=daily[d], conversations=len(conversations_by_day[d]))
            for d in days
        ],
        peak_hours=[h for h, n in hours.most_common(3) if n],
        busiest_weekdays=[WEEKDAYS[d] for d, n in weekdays.most_common(3) if n],
        sessions=_sessions(index, keys, full.sessions.gap_minutes),
        streaks=streaks_of([date.fromisoformat(d) for d in days]),
    )


def _privacy(
    index: BrowseIndex, conversations: list[str], keys: list[MsgKey]
) -> LightPrivacy | None:
    full = index.results.privacy
    if full is None:
        return None
    chosen_messages = set(keys)
    chosen = set(conversations)
    found = [
        f
        for f in full.findings
        if f.conversation_id in chosen
        and (f.message_id == "" or (f.conversation_id, f.message_id) in chosen_messages)
    ]
    counts: Counter[str] = Counter()
    for f in found:
        counts[f.entity_type] += f.count
    return LightPrivacy(
        enabled=full.enabled,
        total=sum(counts.values()),
        counts=dict(sorted(counts.items())),
        messages_affected=len({(f.conversation_id, f.message_id) for f in found if f.message_id}),
        conversations_affected=len({f.conversation_id for f in found}),
        operators=full.operators,
        best_effort_types=full.best_effort_types,
    )


def filtered_results(index: BrowseIndex, q: BrowseQuery) -> LightResults:
    """The summary-level results of the conversations and messages ``q`` selects."""
    conversations, keys = _selection(index, q)
    full = index.results
    return LightResults(
        schema_version=full.schema_version,
        engine_version=full.engine_version,
        generated_at=full.generated_at,
        options=full.options,
        summary=_summary(index, conversations, keys),
        topics=_topics(index, conversations),
        sentiment=_sentiment(index, conversations, keys),
        quality=_quality(index, conversations, keys),
        temporal=_temporal(index, keys),
        privacy=_privacy(index, conversations, keys),
        languages=_languages(index, conversations, keys),
    )
