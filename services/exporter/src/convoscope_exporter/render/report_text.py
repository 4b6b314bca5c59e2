"""Human text shared by the PDF and HTML reports (headline cards, section notes)."""

from __future__ import annotations

from convoscope_common.results import AnalysisResults, Sentiment

# The report sections (key in results, heading, chart ids), shared by PDF and HTML.
REPORT_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("topics", "Topics", ("topic_distribution",)),
    ("sentiment", "Sentiment", ("sentiment_over_time", "sentiment_labels_over_time")),
    ("quality", "Quality and failures", ("failures_by_severity",)),
    (
        "temporal",
        "Temporal patterns",
        (
            "weekday_hour_heatmap",
            "calendar_heatmap",
            "conversation_length_distribution",
            "message_length_over_time",
        ),
    ),
    ("privacy", "Privacy summary", ()),
)


def format_number(value: float | int) -> str:
    """Integers with thousands separators, floats with at most 3 decimals."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def headline_cards(results: AnalysisResults) -> list[tuple[str, str]]:
    """(label, formatted value) for the executive summary."""
    s = results.summary
    cards = [
        ("Conversations", format_number(s.conversations)),
        ("Messages", format_number(s.messages)),
        ("Words", format_number(s.words)),
        (
            "Messages per conversation (mean)",
            format_number(round(s.mean_messages_per_conversation, 2)),
        ),
        ("Tool uses", format_number(s.tool_uses)),
        ("Tool errors", format_number(s.tool_errors)),
    ]
    # What people do besides typing, shown when the export has any of it.
    for label, value in (
        ("Voice turns", s.voice_turns),
        ("Images generated", s.images_generated),
        ("Images uploaded", s.images_uploaded),
        ("Thinking blocks", s.thinking_blocks),
        ("Canvas documents", s.canvas_documents),
        ("MCP servers used", len(s.tool_calls_by_mcp_server)),
    ):
        if value:
            cards.append((label, format_number(value)))
    if len(s.date_range) == 2:
        cards.append(("Period", f"{s.date_range[0]} to {s.date_range[1]}"))
    if results.quality is not None:
        f = results.quality.failures
        cards.append(("Detected failures", format_number(f.total)))
        cards.append(("Failure rate", f"{f.failure_rate:.1%}"))
    if results.sentiment is not None:
        cards.append(("Mean sentiment", format_number(round(results.sentiment.mean_compound, 3))))
        cards.append(("Sentiment coverage", f"{results.sentiment.coverage:.0%}"))
    if results.privacy is not None:
        cards.append(("PII findings", format_number(results.privacy.total)))
    return cards


def section_notes(results: AnalysisResults) -> dict[str, list[str]]:
    """Short factual sentences per report section (no message text, no PII)."""
    notes: dict[str, list[str]] = {
        "topics": [],
        "sentiment": [],
        "quality": [],
        "temporal": [],
        "privacy": [],
    }
    if results.topics is not None:
        topics = sorted(
            [*results.topics.taxonomy, *results.topics.learned], key=lambda t: -t.conversations
        )
        if topics and topics[0].conversations:
            notes["topics"].append(
                f"Most frequent topic: {topics[0].label} "
                f"({topics[0].conversations} conversations, "
                f"{topics[0].share:.0%})."
            )
        notes["topics"].append(
            f"{len(results.topics.taxonomy)} taxonomy topics and "
            f"{len(results.topics.learned)} learned topics."
        )
    if results.sentiment is not None:
        s = results.sentiment
        notes["sentiment"].append(
            f"{s.messages} user messages scored with {s.model}; "
            f"mean compound score {s.mean_compound:.3f}."
        )
        if s.not_scored:
            notes["sentiment"].append(sentiment_coverage(s))
        if s.labels:
            notes["sentiment"].append(
                "Labels: "
                + ", ".join(f"{label} {count}" for label, count in s.labels.items() if count)
                + "."
            )
    if results.quality is not None:
        q = results.quality
        f = q.failures
        notes["quality"].append(
            f"{f.total} failures detected on {f.assistant_messages_with_failure}"
            f" of {f.assistant_messages} assistant messages "
            f"({f.failure_rate:.1%})."
        )
        if q.task_completion:
            notes["quality"].append(
                "Task completion: "
                + ", ".join(f"{k} {v}" for k, v in sorted(q.task_completion.items()))
                + "."
            )
        notes["quality"].append(f"Mean collaboration score {q.mean_collaboration_score:.2f}.")
    if results.temporal is not None:
        t = results.temporal
        if t.peak_hours:
            notes["temporal"].append(
                "Peak hours: "
                + ", ".join(f"{h:02d}:00" for h in t.peak_hours)
                + f" ({t.timezone})."
            )
        if t.busiest_weekdays:
            notes["temporal"].append("Busiest weekdays: " + ", ".join(t.busiest_weekdays) + ".")
        notes["temporal"].append(
            f"{t.sessions.count} sessions; longest streak {t.streaks.longest_days} day(s)."
        )
    if results.privacy is None:
        notes["privacy"].append("PII detection was off for this analysis (enable_privacy).")
    else:
        p = results.privacy
        if not p.enabled:
            notes["privacy"].append("PII detection was disabled for this analysis.")
        notes["privacy"].append(
            f"{p.total} PII findings in {p.messages_affected} messages of "
            f"{p.conversations_affected} conversations. Values are never "
            f"stored; only their type and location."
        )
        if p.best_effort_types:
            notes["privacy"].append(
                "Best-effort (heuristic) types: " + ", ".join(p.best_effort_types) + "."
            )
    return notes


LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French", "de": "German",
    "it": "Italian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ru": "Russian",
    "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "ar": "Arabic", "el": "Greek",
    "he": "Hebrew", "hi": "Hindi", "uk": "Ukrainian", "vi": "Vietnamese", "th": "Thai",
    "id": "Indonesian", "sv": "Swedish", "fa": "Persian", "cs": "Czech",
    "unknown": "unknown language",
}  # fmt: skip


def sentiment_coverage(s: Sentiment) -> str:
    """ "Sentiment covers 71 % of your messages; 29 % Portuguese not scored." (issue 19)."""
    total = s.messages + s.not_scored
    parts = [
        f"{n / total:.0%} {LANGUAGE_NAMES.get(lang, lang)}"
        for lang, n in s.not_scored_by_language.items()
    ]
    return (
        f"Sentiment covers {s.coverage:.0%} of your messages; "
        + ", ".join(parts)
        + " not scored (the lexicon reads "
        + ", ".join(LANGUAGE_NAMES.get(lang, lang) for lang in s.languages)
        + " only)."
    )
