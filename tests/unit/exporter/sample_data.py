"""A small but complete Corpus and AnalysisResults, written by hand for the exporter tests.

Six conversations over four months (Jan-Apr 2024) on five weekdays (no Wednesday or
Thursday data), both roles, a tool error, an attachment, a binary file, citations,
thinking, an empty conversation and one over-long message (for the XLSX cell limit).
The results are consistent with the corpus; a test in test_sample_data checks that.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Corpus,
    Message,
    ParseHealth,
    ToolResult,
    ToolUse,
)
from convoscope_common.results import (
    AnalysisOptionsUsed,
    AnalysisResults,
    CalendarDay,
    ConversationQuality,
    ConversationSentiment,
    ConversationTopics,
    Failure,
    FailureSummary,
    LengthTrend,
    MessageSentiment,
    PrivacyFinding,
    PrivacyReport,
    Quality,
    Sentiment,
    SentimentPeriod,
    SessionStats,
    Streaks,
    Summary,
    Temporal,
    Topic,
    Topics,
    TopicScore,
)

LONG_TEXT = "lorem " * 7000  # 42,000 characters: over Excel's 32,767 per cell

# (conversation id, title, start, model, [(role, text), ...])
_SCRIPT: list[tuple[str, str, datetime, str | None, list[tuple[str, str]]]] = [
    (
        "conv-py",
        "Python debugging help",
        datetime(2024, 1, 15, 10, 0, tzinfo=UTC),  # Monday
        "claude-3-opus",
        [
            ("user", "My script crashes with a KeyError, can you help?"),
            ("assistant", "Let me run it to see the traceback."),
            ("user", "Thanks, that did not work either. It still fails."),
            ("assistant", "Use dict.get with a default value to avoid the KeyError."),
        ],
    ),
    (
        "conv-trip",
        "Trip planning",
        datetime(2024, 2, 3, 14, 0, tzinfo=UTC),  # Saturday
        "claude-3-sonnet",
        [
            ("user", "Plan a three day trip to Lisbon please"),
            ("assistant", "Day one: Alfama and the castle. Day two: Belem. Day three: Sintra."),
        ],
    ),
    (
        "conv-sql",
        "SQL query review",
        datetime(2024, 2, 20, 9, 30, tzinfo=UTC),  # Tuesday
        "claude-3-opus",
        [
            ("user", "Why is this join so slow?"),
            ("assistant", "You are missing an index on orders.customer_id"),
            ("user", "Can you format it as a table?"),
            ("assistant", "Here it is as a list instead."),
            ("user", "That function does not exist in Postgres, you made it up."),
            ("assistant", "You are right, sorry. Use a lateral join instead."),
        ],
    ),
    (
        "conv-recipe",
        'Recipe ideas, "quick" & cheap',
        datetime(2024, 3, 10, 19, 0, tzinfo=UTC),  # Sunday
        "claude-3-haiku",
        [
            ("user", "What can I cook with this? Keep it simple"),
            ("assistant", "A tomato and chickpea stew would work well."),
        ],
    ),
    (
        "conv-empty",
        "Empty draft",
        datetime(2024, 4, 2, 8, 0, tzinfo=UTC),  # Tuesday
        None,
        [],
    ),
    (
        "conv-email",
        "Email to landlord",
        datetime(2024, 4, 5, 22, 15, tzinfo=UTC),  # Friday
        "claude-3-opus",
        [
            ("user", "Write an email to [EMAIL_ADDRESS] about the heating, call me at [PHONE]"),
            ("assistant", "I can't help with contacting people."),
            ("user", "It is my landlord, please write it, this is urgent!"),
            ("assistant", LONG_TEXT),
        ],
    ),
]


def _messages(cid: str, start: datetime, model: str | None, script: list[tuple[str, str]]):
    messages = []
    for index, (role, text) in enumerate(script):
        messages.append(
            Message(
                id=f"{cid}-m{index}",
                role=role,  # type: ignore[arg-type]
                created_at=start + timedelta(minutes=3 * index),
                text=text,
                model=model if role == "assistant" else None,
            )
        )
    return messages


def build_corpus() -> Corpus:
    """The fixture corpus (fresh objects every call)."""
    conversations = []
    for cid, title, start, model, script in _SCRIPT:
        conversations.append(
            Conversation(
                id=cid,
                title=title,
                created_at=start,
                updated_at=start + timedelta(minutes=3 * max(len(script) - 1, 0)),
                model=model,
                project="work" if cid in {"conv-py", "conv-sql"} else None,
                messages=_messages(cid, start, model, script),
            )
        )
    py, trip, sql, recipe, _empty, _email = conversations
    py.messages[0].attachments = [
        Attachment(
            file_name="script.py",
            file_type="text/x-python",
            file_size=812,
            extracted_text="d = {}\nprint(d['x'])",
        )
    ]
    py.messages[1].thinking = ["The user needs the traceback first."]
    py.messages[1].tool_uses = [ToolUse(id="tu1", name="python", input_json='{"code":"run"}')]
    py.messages[1].tool_results = [
        ToolResult(tool_use_id="tu1", name="python", is_error=True, text="Timeout")
    ]
    trip.messages[1].citations = [
        Citation(url="https://example.org/lisbon", title="Lisbon guide"),
        Citation(url="https://example.org/sintra", title="Sintra"),
    ]
    sql.abandoned_branches = 1
    sql.abandoned_messages = 2
    recipe.messages[0].files = ["fridge.jpg"]
    recipe.hidden_messages = 1
    return Corpus(
        conversations=conversations,
        health=ParseHealth(items_parsed=6, hidden_messages=1, abandoned_messages=2),
    )


def _label(compound: float) -> str:
    if compound >= 0.5:
        return "Very Positive"
    if compound >= 0.05:
        return "Positive"
    if compound > -0.05:
        return "Neutral"
    if compound > -0.5:
        return "Negative"
    return "Very Negative"


# User-message compound scores, by message id.
_COMPOUND = {
    "conv-py-m0": 0.40,
    "conv-py-m2": -0.45,
    "conv-trip-m0": 0.32,
    "conv-sql-m0": 0.0,
    "conv-sql-m2": 0.10,
    "conv-sql-m4": -0.60,
    "conv-recipe-m0": 0.20,
    "conv-email-m0": 0.0,
    "conv-email-m2": 0.55,
}

_FINDINGS = [
    Failure(
        id="f1",
        type="tool_misuse",
        severity="high",
        evidence="tool_error",
        conversation_id="conv-py",
        message_id="conv-py-m1",
        evidence_message_ids=["conv-py-m1"],
        matched="tool error: python",
    ),
    Failure(
        id="f2",
        type="hallucination",
        severity="high",
        evidence="user_complaint",
        conversation_id="conv-sql",
        message_id="conv-sql-m3",
        evidence_message_ids=["conv-sql-m4"],
        matched="you made it up",
    ),
    Failure(
        id="f3",
        type="formatting",
        severity="low",
        evidence="user_complaint",
        conversation_id="conv-sql",
        message_id="conv-sql-m3",
        evidence_message_ids=["conv-sql-m2"],
        matched="as a table",
    ),
    Failure(
        id="f4",
        type="unnecessary_refusal",
        severity="medium",
        evidence="refusal",
        conversation_id="conv-email",
        message_id="conv-email-m1",
        evidence_message_ids=["conv-email-m1", "conv-email-m2"],
        matched="I can't help",
    ),
    Failure(
        id="f5",
        type="misunderstanding",
        severity="medium",
        evidence="user_complaint",
        conversation_id="conv-py",
        message_id="conv-py-m1",
        evidence_message_ids=["conv-py-m2"],
        matched="did not work",
    ),
]

_TOPICS = {
    # id: (label, kind, conversation ids, score per conversation)
    "programming": ("Programming", "taxonomy", {"conv-py": 0.9, "conv-sql": 0.8}),
    "travel": ("Travel", "taxonomy", {"conv-trip": 0.7, "conv-email": 0.1}),
    "cooking": ("Cooking", "taxonomy", {"conv-recipe": 0.85}),
    "writing": ("Writing", "taxonomy", {"conv-email": 0.5}),
    "learned-0": ("sql / join / index", "learned", {"conv-sql": 0.6}),
}


def build_results(corpus: Corpus | None = None) -> AnalysisResults:
    """Complete results for :func:`build_corpus` (every section filled)."""
    corpus = corpus or build_corpus()
    convs = corpus.conversations
    messages = [m for c in convs for m in c.messages]
    by_id = {m.id: m for m in messages}
    conv_of = {m.id: c for c in convs for m in c.messages}
    n_convs = len([c for c in convs])
    role_words: dict[str, list[int]] = {"user": [], "assistant": []}
    for m in messages:
        role_words[m.role].append(len(m.text.split()))
    words = [len(m.text.split()) for m in messages]

    def med(xs):
        xs = sorted(xs)
        n = len(xs)
        return float(xs[n // 2]) if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

    summary = Summary(
        conversations=6,
        empty_conversations=1,
        messages=18,
        messages_by_role={"assistant": 9, "user": 9},
        words=sum(words),
        characters=sum(len(m.text) for m in messages),
        words_by_role={r: sum(v) for r, v in sorted(role_words.items())},
        mean_messages_per_conversation=18 / 6,
        median_messages_per_conversation=3.0,
        mean_words_per_message=sum(words) / len(words),
        median_words_per_message=med(words),
        mean_words_by_role={r: sum(v) / len(v) for r, v in sorted(role_words.items())},
        median_words_by_role={r: med(v) for r, v in sorted(role_words.items())},
        models={"claude-3-haiku": 1, "claude-3-opus": 3, "claude-3-sonnet": 1},
        thinking_blocks=1,
        tool_uses=1,
        tool_errors=1,
        attachments=1,
        files=1,
        citations=2,
        abandoned_branches=1,
        abandoned_messages=2,
        hidden_messages=1,
        date_range=["2024-01-15", "2024-04-05"],
    )

    def month(c: Conversation) -> str:
        return c.created_at.strftime("%Y-%m")

    conv_by_id = {c.id: c for c in convs}
    taxonomy, learned = [], []
    for tid, (label, kind, scores) in _TOPICS.items():
        ids = list(scores)
        topic = Topic(
            id=tid,
            label=label,
            kind=kind,
            top_terms=label.lower().split(" / ")[:3],
            conversations=len(ids),
            share=len(ids) / n_convs,
            monthly=dict(Counter(month(conv_by_id[i]) for i in ids)),
            conversation_ids=ids,
        )
        (taxonomy if kind == "taxonomy" else learned).append(topic)
    assignments = []
    for c in convs:
        scores = [
            TopicScore(topic_id=t, score=s[2][c.id]) for t, s in _TOPICS.items() if c.id in s[2]
        ]
        if scores:
            assignments.append(ConversationTopics(conversation_id=c.id, topics=scores))

    by_message = [
        MessageSentiment(
            conversation_id=conv_of[mid].id,
            message_id=mid,
            compound=v,
            label=_label(v),
            urgent=mid == "conv-email-m2",
            questioning="?" in by_id[mid].text,
            collaborative=mid == "conv-py-m0",
        )
        for mid, v in _COMPOUND.items()
    ]
    by_conversation = []
    for c in convs:
        scores = [s.compound for s in by_message if s.conversation_id == c.id]
        if scores:
            by_conversation.append(
                ConversationSentiment(
                    conversation_id=c.id,
                    start=scores[0],
                    end=scores[-1],
                    delta=scores[-1] - scores[0],
                    label=_label(sum(scores) / len(scores)),
                )
            )
    monthly_scores: dict[str, list[float]] = {}
    monthly_labels: dict[str, Counter[str]] = {}
    for s in by_message:
        key = by_id[s.message_id].created_at.strftime("%Y-%m")
        monthly_scores.setdefault(key, []).append(s.compound)
        monthly_labels.setdefault(key, Counter())[s.label] += 1
    sentiment = Sentiment(
        messages=len(by_message),
        mean_compound=sum(_COMPOUND.values()) / len(_COMPOUND),
        labels=dict(Counter(s.label for s in by_message)),
        flags={
            "urgent": 1,
            "questioning": sum(s.questioning for s in by_message),
            "collaborative": 1,
        },
        monthly=[
            SentimentPeriod(
                period=k,
                mean_compound=sum(v) / len(v),
                messages=len(v),
                labels=dict(monthly_labels[k]),
            )
            for k, v in sorted(monthly_scores.items())
        ],
        by_message=by_message,
        by_conversation=by_conversation,
    )

    by_type_sev: dict[str, dict[str, int]] = {}
    for f in _FINDINGS:
        by_type_sev.setdefault(f.type, {}).setdefault(f.severity, 0)
        by_type_sev[f.type][f.severity] += 1
    failures = FailureSummary(
        total=5,
        assistant_messages=9,
        assistant_messages_with_failure=3,
        failure_rate=3 / 9,
        by_type=dict(Counter(f.type for f in _FINDINGS)),
        by_severity={"high": 2, "medium": 2, "low": 1},
        by_type_and_severity=by_type_sev,
        findings=list(_FINDINGS),
    )
    completion = {
        "conv-py": "completed",
        "conv-trip": "completed",
        "conv-sql": "completed",
        "conv-recipe": "in_progress",
        "conv-email": "blocked",
    }
    quality_convs = [
        ConversationQuality(
            conversation_id=cid,
            task_completion=state,
            completion_confidence=0.7,
            collaboration_score=0.5 + 0.1 * i,
            turns=len(conv_by_id[cid].messages) // 2,
            user_questions=sum("?" in m.text for m in conv_by_id[cid].messages if m.role == "user"),
            response_effectiveness=None if cid == "conv-recipe" else 0.6,
            failures=sum(f.conversation_id == cid for f in _FINDINGS),
        )
        for i, (cid, state) in enumerate(completion.items())
    ]
    quality = Quality(
        conversations=quality_convs,
        task_completion=dict(Counter(completion.values())),
        mean_collaboration_score=sum(q.collaboration_score for q in quality_convs) / 5,
        mean_response_effectiveness=0.6,
        failures=failures,
    )

    heatmap = [[0] * 24 for _ in range(7)]
    daily: Counter[str] = Counter()
    monthly: Counter[str] = Counter()
    weekly: Counter[str] = Counter()
    day_convs: dict[str, set[str]] = {}
    lengths: dict[tuple[str, str], list[int]] = {}
    for m in messages:
        t = m.created_at
        heatmap[t.weekday()][t.hour] += 1
        daily[t.date().isoformat()] += 1
        monthly[t.strftime("%Y-%m")] += 1
        weekly[f"{t.isocalendar().year}-W{t.isocalendar().week:02d}"] += 1
        day_convs.setdefault(t.date().isoformat(), set()).add(conv_of[m.id].id)
        lengths.setdefault((t.strftime("%Y-%m"), m.role), []).append(len(m.text.split()))
    temporal = Temporal(
        timezone="UTC",
        date_range=["2024-01-15", "2024-04-05"],
        daily=dict(sorted(daily.items())),
        weekly=dict(sorted(weekly.items())),
        monthly=dict(sorted(monthly.items())),
        heatmap=heatmap,
        calendar=[
            CalendarDay(date=d, messages=n, conversations=len(day_convs[d]))
            for d, n in sorted(daily.items())
        ],
        peak_hours=[9],
        busiest_weekdays=["Tuesday"],
        sessions=SessionStats(count=5, mean_minutes=8.4, median_minutes=9.0, longest_minutes=15.0),
        streaks=Streaks(longest_days=1, longest_start="2024-01-15", longest_end="2024-01-15"),
        topic_evolution={t.id: t.monthly for t in taxonomy + learned},
        sentiment_evolution={p.period: p.mean_compound for p in sentiment.monthly},
        length_trends=[
            LengthTrend(period=p, role=r, mean_words=sum(v) / len(v), messages=len(v))
            for (p, r), v in sorted(lengths.items())
        ],
        engagement_score=0.42,
    )
    privacy = PrivacyReport(
        total=3,
        counts={"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1, "PERSON": 1},
        messages_affected=2,
        conversations_affected=2,
        operators={"EMAIL_ADDRESS": "replace", "PHONE_NUMBER": "replace", "PERSON": "replace"},
        best_effort_types=["PERSON"],
        findings=[
            PrivacyFinding(
                conversation_id="conv-email",
                message_id="conv-email-m0",
                entity_type="EMAIL_ADDRESS",
            ),
            PrivacyFinding(
                conversation_id="conv-email", message_id="conv-email-m0", entity_type="PHONE_NUMBER"
            ),
            PrivacyFinding(
                conversation_id="conv-py",
                message_id="conv-py-m0",
                entity_type="PERSON",
                field="attachment",
            ),
        ],
    )
    return AnalysisResults(
        generated_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        options=AnalysisOptionsUsed(timezone="UTC"),
        summary=summary,
        topics=Topics(taxonomy=taxonomy, learned=learned, assignments=assignments),
        sentiment=sentiment,
        quality=quality,
        temporal=temporal,
        privacy=privacy,
        charts=[],
    )
