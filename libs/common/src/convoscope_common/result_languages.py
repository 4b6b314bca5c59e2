"""The ``languages`` section of the analysis results: the language of each user message
and conversation, and which languages each analysis could read.

Part of :class:`convoscope_common.results.AnalysisResults` (which imports it), so it
follows the results' conventions: keyword-only, every field always serialised.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class _LanguageResult(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base of the language structs: the options every results struct has."""


class ConversationLanguage(_LanguageResult):
    conversation_id: str
    language: str  # dominant language of its user messages (ISO 639-1 or "unknown")
    share: float  # share of its user messages in that language


class LanguageCoverage(_LanguageResult):
    """Which languages one analysis reads, and the user messages it could not read."""

    analysis: Literal["sentiment", "failure_cues", "taxonomy"]
    languages: list[str] = []
    messages: int = 0  # user messages in those languages
    # Other languages: not scored (sentiment) or language-independent signals only.
    other_messages: dict[str, int] = {}


class Languages(_LanguageResult):
    """Language per user message (own text, else its conversation's) and per conversation."""

    detector: str = ""
    supported: list[str] = []  # languages with cue files, keywords and stop words
    messages: dict[str, int] = {}  # user messages per language
    conversations: dict[str, int] = {}  # conversations per dominant language
    detected_messages: int = 0  # language read from the message's own text
    inherited_messages: int = 0  # too short or unsure: the conversation's language
    unknown_messages: int = 0
    coverage: list[LanguageCoverage] = []
    by_conversation: list[ConversationLanguage] = []
