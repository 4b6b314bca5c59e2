"""Small text helpers shared by the analyses (pure, no state)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from convoscope_common.corpus import Conversation, Message

_TOKEN = re.compile(r"[a-z][a-z0-9+#']*")
_FENCE = "```"


def word_count(text: str) -> int:
    """Whitespace-separated words (what a reader would count)."""
    return len(text.split())


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens for keyword matching."""
    return _TOKEN.findall(text.lower())


def code_blocks(text: str) -> int:
    """Fenced code blocks (pairs of ```)."""
    return text.count(_FENCE) // 2


def is_question(text: str) -> bool:
    """A message that asks something: it contains a question mark."""
    return "?" in text


def message_time(message: Message, conversation: Conversation) -> datetime | None:
    """When a message was sent, falling back to the conversation's creation time.

    Naive timestamps are read as UTC (the exports write UTC).
    """
    when = message.created_at or conversation.created_at
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def to_local(when: datetime, zone: tzinfo) -> datetime:
    """The same instant on the wall clock of ``zone``."""
    return when.astimezone(zone)


def month_key(when: datetime) -> str:
    """'YYYY-MM' of a local datetime."""
    return f"{when.year:04d}-{when.month:02d}"


def week_key(when: datetime) -> str:
    """ISO week 'YYYY-Www' of a local datetime."""
    year, week, _ = when.isocalendar()
    return f"{year:04d}-W{week:02d}"


def compile_phrases(phrases: list[str]) -> re.Pattern[str]:
    """One case-insensitive alternation of phrases (regex syntax allowed), word-bounded."""
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE)
