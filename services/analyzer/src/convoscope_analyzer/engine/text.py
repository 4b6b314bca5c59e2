"""Small text helpers shared by the analyses (pure, no state)."""

from __future__ import annotations

import re

# Time keys and word counts are the shared aggregates' (the exporter counts the same way).
from convoscope_common.aggregates.localtime import message_time, month_key, to_local, week_key
from convoscope_common.aggregates.prepared import word_count

__all__ = [
    "code_blocks",
    "compile_phrases",
    "is_question",
    "message_time",
    "month_key",
    "to_local",
    "tokens",
    "week_key",
    "word_count",
]

_TOKEN = re.compile(r"[a-z][a-z0-9+#']*")
_FENCE = "```"


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens for keyword matching."""
    return _TOKEN.findall(text.lower())


def code_blocks(text: str) -> int:
    """Fenced code blocks (pairs of ```)."""
    return text.count(_FENCE) // 2


def is_question(text: str) -> bool:
    """A message that asks something: it contains a question mark."""
    return "?" in text


def compile_phrases(phrases: list[str]) -> re.Pattern[str]:
    """One case-insensitive alternation of phrases (regex syntax allowed), word-bounded."""
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE)
