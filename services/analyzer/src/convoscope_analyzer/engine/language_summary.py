"""The ``languages`` section of the results: user messages and conversations per
language, and which languages each analysis read (coverage)."""

from __future__ import annotations

from collections import Counter

from convoscope_analyzer.engine.cues import cue_languages
from convoscope_analyzer.engine.language import DETECTOR, SUPPORTED, LanguageStats
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_common.result_languages import ConversationLanguage, LanguageCoverage, Languages
from convoscope_common.results import (
    Sentiment,
)


def user_languages(conversations: list[PreparedConversation]) -> Counter[str]:
    """Non-empty user messages per (detected or inherited) language."""
    counts: Counter[str] = Counter()
    for item in conversations:
        for pm in item.messages:
            if pm.message.role == "user" and pm.message.text.strip() and pm.language:
                counts[pm.language] += 1
    return counts


def _coverage(
    analysis: str, languages: tuple[str, ...] | list[str], messages: Counter[str]
) -> LanguageCoverage:
    read = set(languages)
    return LanguageCoverage(
        analysis=analysis,  # type: ignore[arg-type]
        languages=list(languages),
        messages=sum(n for lang, n in messages.items() if lang in read),
        other_messages={lang: n for lang, n in messages.most_common() if lang not in read},
    )


def summarize_languages(
    conversations: list[PreparedConversation],
    stats: LanguageStats,
    sentiment: Sentiment | None,
    taxonomy_languages: tuple[str, ...],
) -> Languages:
    """Counts per language and what each analysis covered."""
    messages = user_languages(conversations)
    by_conversation = []
    per_conversation: Counter[str] = Counter()
    for item in conversations:
        if item.language is None:
            continue
        users = [
            pm.language
            for pm in item.messages
            if pm.message.role == "user" and pm.message.text.strip()
        ]
        if not users:
            continue
        per_conversation[item.language] += 1
        share = sum(1 for lang in users if lang == item.language) / len(users)
        by_conversation.append(
            ConversationLanguage(
                conversation_id=item.id, language=item.language, share=round(share, 4)
            )
        )
    coverage = [
        _coverage("failure_cues", cue_languages(), messages),
        _coverage("taxonomy", taxonomy_languages, messages),
    ]
    if sentiment is not None:
        coverage.insert(
            0,
            LanguageCoverage(
                analysis="sentiment",
                languages=list(sentiment.languages),
                messages=sentiment.messages,
                other_messages=dict(sentiment.not_scored_by_language),
            ),
        )
    return Languages(
        detector=DETECTOR,
        supported=list(SUPPORTED),
        messages=dict(messages.most_common()),
        conversations=dict(per_conversation.most_common()),
        detected_messages=stats.detected,
        inherited_messages=stats.inherited,
        unknown_messages=stats.unknown,
        coverage=coverage,
        by_conversation=by_conversation,
    )
