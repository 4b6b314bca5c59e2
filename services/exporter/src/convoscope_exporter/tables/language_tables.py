"""The ``languages`` table: user messages per language and which analyses read them.

Issue 19: every report says plainly what was not analysed. One row per language the
detector found (user messages in it, conversations in which it dominates) and, per
analysis, whether it read that language ("scored" / "cue file" / "keywords") or not
("not scored" / "language-independent signals only" / "English keywords only").
"""

from __future__ import annotations

from convoscope_common.result_languages import LanguageCoverage
from convoscope_common.results import AnalysisResults
from convoscope_exporter.tables.model import Column, Table, table_of

# (language, user messages, conversations, sentiment, failure cues, taxonomy)
LanguageRow = tuple[str, int, int, str, str, str]

_READ = {"sentiment": "scored", "failure_cues": "cue file", "taxonomy": "keywords"}
_NOT_READ = {
    "sentiment": "not scored",
    "failure_cues": "language-independent signals only",
    "taxonomy": "English keywords only",
}

LANGUAGE_COLUMNS: tuple[Column[LanguageRow], ...] = (
    Column("language", "string", "ISO 639-1 code of the detected language", lambda r: r[0]),
    Column(
        "user_messages", "integer",
        "Non-empty user messages in the language (detected, or their conversation's)",
        lambda r: r[1],
    ),
    Column(
        "conversations", "integer", "Conversations whose dominant language it is",
        lambda r: r[2],
    ),
    Column("sentiment", "string", "scored, or not scored (never read in English)", lambda r: r[3]),
    Column(
        "failure_cues", "string",
        "cue file (complaint, refusal, thanks cues), or language-independent signals only",
        lambda r: r[4],
    ),
    Column(
        "taxonomy", "string", "keywords of the topic taxonomy in this language, or not",
        lambda r: r[5],
    ),
)  # fmt: skip


def _reads(coverage: list[LanguageCoverage], analysis: str, language: str) -> str:
    for item in coverage:
        if item.analysis == analysis:
            return _READ[analysis] if language in item.languages else _NOT_READ[analysis]
    return ""  # that analysis did not run


def languages_table(results: AnalysisResults) -> Table:
    """One row per detected language, most messages first."""
    section = results.languages
    rows: list[LanguageRow] = []
    if section is not None:
        found = list(section.messages)
        found += [lang for lang in section.conversations if lang not in section.messages]
        for lang in found:
            rows.append(
                (
                    lang,
                    section.messages.get(lang, 0),
                    section.conversations.get(lang, 0),
                    _reads(section.coverage, "sentiment", lang),
                    _reads(section.coverage, "failure_cues", lang),
                    _reads(section.coverage, "taxonomy", lang),
                )
            )
    return table_of(
        "languages", "One row per detected language: messages, and which analyses read it",
        LANGUAGE_COLUMNS, rows,
    )  # fmt: skip
