"""Small text helpers shared by the analyses (pure, no state).

Word counts and time keys are the shared aggregates' (``convoscope_common.aggregates``).
"""

from __future__ import annotations

import re

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
