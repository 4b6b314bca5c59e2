"""Sentiment of user messages with VADER, mapped to the seed's five labels.

VADER's lexicon is English: a message detected in another language is counted as
not scored with its language, never read with English words ("no" is "in the" in
Portuguese).

Flags (urgent / questioning / collaborative) are detected separately and never
change the polarity label.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from operator import itemgetter
from typing import Protocol

import ahocorasick
import msgspec

from convoscope_analyzer.engine.complaints import frustration_cue, user_scan
from convoscope_analyzer.engine.cue_scan import CueGroup, Scan, cue_group
from convoscope_analyzer.engine.cues import CueBook, CueSection, cues_for
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.text import compile_phrases
from convoscope_analyzer.engine.vader import FastVader
from convoscope_common.aggregates.sections import (
    NEUTRAL_THRESHOLD,
    VERY_THRESHOLD,
    label_for,
    sentiment_totals,
)
from convoscope_common.results import MessageSentiment, Sentiment

__all__ = ["NEUTRAL_THRESHOLD", "VERY_THRESHOLD", "analyze_sentiment", "detect_flags", "label_for"]

# Lines of a pasted stack trace or log (indented frames, "File ...", "at ...", timestamps).
_TRACE_LINE = re.compile(
    r"^\s*(?:File \"|at [\w.$<]|\^|\||-->|\+ |\[?\d{2,4}[-/:]\d{2}"
    r"|\S+\.(?:py|js|ts|java|rs|go):\d+)",
    re.MULTILINE,
)

# A message with a frustration cue scores at most this: Negative, never Very Negative.
FRUSTRATED_COMPOUND = -0.3

_URGENT_PHRASES = [
    "urgent(?:ly)?",
    "asap",
    "immediately",
    "right now",
    "emergency",
    "as soon as possible",
    "deadline",
    "critical",
    "time[- ]sensitive",
    "hurry",
]
_QUESTION_START = compile_phrases(
    ["how", "what", "why", "when", "where", "which", "who", "can you", "could you", "is there"]
)
_COLLABORATIVE_PHRASES = [
    "let's",
    "let us",
    "we could",
    "we can",
    "shall we",
    "together",
    "what do you think",
    "your thoughts",
    "brainstorm",
    "work through",
    "our",
]
_URGENT = compile_phrases(_URGENT_PHRASES)
_COLLABORATIVE = compile_phrases(_COLLABORATIVE_PHRASES)


def _lowercase_phrases(phrases: list[str]) -> re.Pattern[str]:
    """``compile_phrases`` without ``IGNORECASE``, for lower-cased ASCII text: there
    a match of the case-insensitive pattern is a match of this one at the same place
    (lower() maps A-Z to a-z and keeps every other ASCII character, so word
    boundaries stay), and case-sensitive matching is about twice as fast."""
    if any(phrase != phrase.lower() for phrase in phrases):
        raise ValueError("phrases for lower-cased text must be lower case")
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_URGENT_LOWER = _lowercase_phrases(_URGENT_PHRASES)
_COLLABORATIVE_LOWER = _lowercase_phrases(_COLLABORATIVE_PHRASES)

# Strings one of which every match of a phrase list contains (the phrases themselves
# where they are plain words; "urgent(?:ly)?" holds "urgent", "time[- ]sensitive"
# "sensitive"): a lower-cased text holding none of them cannot match, and one pass of
# an automaton over it tells which lists need their regex (a bit each).
_URGENT_BIT, _COLLABORATIVE_BIT = 1, 2
_FLAG_GATES: dict[int, tuple[str, ...]] = {
    _URGENT_BIT: tuple(
        {"urgent(?:ly)?": "urgent", "time[- ]sensitive": "sensitive"}.get(p, p)
        for p in _URGENT_PHRASES
    ),
    _COLLABORATIVE_BIT: tuple(_COLLABORATIVE_PHRASES),
}
_VALUE = itemgetter(1)


def _flag_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for bit, gate in _FLAG_GATES.items():
        for string in gate:
            if not re.fullmatch(r"[a-z' ]+", string):  # a plain phrase, no regex syntax
                raise ValueError(f"flag gate {string!r} is not a literal")
            automaton.add_word(string, (automaton.get(string, 0)) | bit)
    automaton.make_automaton()
    return automaton


_FLAG_AUTOMATON = _flag_automaton()


class SentimentModel(Protocol):
    """Anything that scores a text with a compound polarity in -1..1."""

    name: str
    languages: tuple[str, ...]  # the languages it reads

    def compound(self, text: str) -> float: ...


class VaderModel:
    """The reference lexicon model (vaderSentiment), read the way people write to an
    assistant: pasted code and error output are not the writer's mood, technical words
    VADER reads as negative ("kill the process", "the job failed") score 0, and a
    frustration cue makes a message at least mildly negative. Without a cue book it
    is plain VADER (the benchmark's yardstick)."""

    name = "vader"
    languages: tuple[str, ...] = ("en",)

    def __init__(self, neutral_terms: frozenset[str] = frozenset(), book: CueBook | None = None):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        # Zero rather than remove: VADER's negation handling looks words up.
        self._analyzer.lexicon = {
            word: (0.0 if word in neutral_terms else value)
            for word, value in self._analyzer.lexicon.items()
        }
        # The same rules and lexicon without vaderSentiment's repeated work (equal
        # scores: tests/unit/engine/test_vader_equality.py).
        self._vader = FastVader.from_analyzer(self._analyzer)
        self._book = book
        self._errors = book.section("error_output") if book is not None else CueSection()
        self._pasted = _pasted_group(book) if book is not None else None

    @property
    def book(self) -> CueBook | None:
        """The cue book the model reads pasted output and frustration with (None: plain VADER)."""
        return self._book

    def compound(self, text: str, scan: Scan | None = None) -> float:
        """The compound of ``text``; ``scan``: its :func:`~.complaints.user_scan` with
        :attr:`book`, when the caller has it (the same score, fewer passes)."""
        if self._book is None or self._pasted is None:
            return self._vader.compound(text)
        own = _prose(text, self._errors, self._pasted, scan)
        if not own or own.isspace():  # nothing but whitespace (what strip() removes)
            return 0.0
        score = self._vader.compound(own)
        # "it still doesn't appear" holds no lexicon word but is not neutral.
        if (
            score > FRUSTRATED_COMPOUND
            # (the scan is of the text: it serves when the prose is the whole text)
            and frustration_cue(self._book, own, scan if own is text else None) is not None
        ):
            return FRUSTRATED_COMPOUND
        return score


def prose(text: str, book: CueBook) -> str:
    """The writer's own words: fenced code, error output and stack-trace lines removed."""
    return _prose(text, book.section("error_output"), _pasted_group(book))


def _pasted_group(book: CueBook) -> CueGroup:
    # The error-output section as one automaton pass (engine/cue_scan.py): the same
    # answer as ``CueSection.search`` without testing its gate strings one by one.
    return cue_group(book, ("error_output",))


def _prose(text: str, errors: CueSection, pasted: CueGroup, scan: Scan | None = None) -> str:
    # ``prose`` with the book's error-output section and its group looked up once per model;
    # ``scan``: the text's user_scan with that book, if the caller has it (its head is
    # the whole text when ``scan.text is text``: then its error-output section serves).
    if "```" in text:
        parts = text.split("```")
        outside = "\n".join(parts[0::2])  # odd parts are inside fences
    else:
        outside = text
    if scan is not None and scan.text is outside:
        pasted_output = scan.section("error_output")
    else:
        pasted_output = pasted.scan(outside).section("error_output")
    if pasted_output is None and _TRACE_LINE.search(outside) is None:
        return outside  # nothing pasted: one search instead of one per line
    kept = [
        line
        for line in outside.splitlines()
        if not _TRACE_LINE.match(line) and errors.search(line) is None
    ]
    return "\n".join(kept)


@lru_cache(maxsize=1)
def default_model() -> VaderModel:
    """A shared VADER instance (loading the lexicon takes ~0.1 s)."""
    book = cues_for("en")
    return VaderModel(book.neutral_terms, book)


def detect_flags(text: str) -> tuple[bool, bool, bool]:
    """(urgent, questioning, collaborative) for one message."""
    if text.isascii():
        lowered = text.lower()
        gates = 0
        for bits in set(map(_VALUE, _FLAG_AUTOMATON.iter(lowered))):
            gates |= bits
        urgent = "!!" in text or (
            gates & _URGENT_BIT != 0 and _URGENT_LOWER.search(lowered) is not None
        )
        collaborative = (
            gates & _COLLABORATIVE_BIT != 0 and _COLLABORATIVE_LOWER.search(lowered) is not None
        )
    else:
        urgent = "!!" in text or _URGENT.search(text) is not None
        collaborative = _COLLABORATIVE.search(text) is not None
    questioning = "?" in text or _QUESTION_START.match(text.lstrip()[:40]) is not None
    return urgent, questioning, collaborative


class SentimentRows(msgspec.Struct, kw_only=True):
    """The scored user messages of a run of conversations, before the totals."""

    by_message: list[MessageSentiment] = []
    months: list[str | None] = []  # month of each scored message
    not_scored: dict[str, int] = {}  # language -> messages, in first-seen order


def score_messages(
    conversations: list[PreparedConversation],
    tracker: ProgressTracker,
    model: SentimentModel | None = None,
    scans: dict[int, tuple[CueBook, Scan]] | None = None,
) -> SentimentRows:
    """Score every non-empty user message in a language the model reads.

    ``scans``, when given, receives the :func:`~.complaints.user_scan` of every scored
    message read with the model's cue book, by ``id`` of its prepared message, with the
    book (the failures read them again: :func:`~.failures.analyze_failures`)."""
    model = model or default_model()
    vader: VaderModel | None = None
    book: CueBook | None = None
    if scans is not None and isinstance(model, VaderModel):
        vader, book = model, model.book
    rows = SentimentRows()
    by_message = rows.by_message
    months = rows.months
    not_scored = rows.not_scored
    for item in conversations:
        for pm in item.messages:
            tracker.tick()
            message = pm.message
            text = message.text
            # ``not text.strip()``, without copying the text: strip() removes exactly
            # the characters isspace() tests.
            if message.role != "user" or not text or text.isspace():
                continue
            if pm.language is not None and pm.language not in model.languages:
                not_scored[pm.language] = not_scored.get(pm.language, 0) + 1
                continue
            if vader is not None and book is not None and scans is not None:
                scan = user_scan(book, text)
                scans[id(pm)] = (book, scan)
                compound = round(vader.compound(text, scan), 4)
            else:
                compound = round(model.compound(text), 4)
            urgent, questioning, collaborative = detect_flags(text)
            by_message.append(
                MessageSentiment(
                    conversation_id=item.id,
                    message_id=message.id,
                    compound=compound,
                    label=label_for(compound),
                    urgent=urgent,
                    questioning=questioning,
                    collaborative=collaborative,
                    language=pm.language,
                )
            )
            # ``month_key(pm.local)``, prepared with the message (None without a time).
            months.append(pm.month)
    return rows


def sentiment_from_rows(
    parts: list[SentimentRows], model: SentimentModel | None = None
) -> Sentiment:
    """The sentiment section from the rows of consecutive runs of conversations."""
    model = model or default_model()
    by_message = [s for part in parts for s in part.by_message]
    months = [m for part in parts for m in part.months]
    not_scored: Counter[str] = Counter()
    for part in parts:
        not_scored.update(part.not_scored)  # keeps first-seen order for equal counts
    totals = sentiment_totals(by_message, months)
    unscored = sum(not_scored.values())
    return Sentiment(
        model=model.name,
        messages=totals.messages,
        languages=list(model.languages),
        not_scored=unscored,
        not_scored_by_language=dict(not_scored.most_common()),
        coverage=round(len(by_message) / (len(by_message) + unscored), 4) if unscored else 1.0,
        mean_compound=totals.mean_compound,
        labels=totals.labels,
        flags=totals.flags,
        monthly=totals.monthly,
        by_message=by_message,
        by_conversation=totals.by_conversation,
    )


def analyze_sentiment(
    conversations: list[PreparedConversation],
    tracker: ProgressTracker,
    model: SentimentModel | None = None,
) -> Sentiment:
    """Score every non-empty user message; per conversation compare first and last."""
    model = model or default_model()
    return sentiment_from_rows([score_messages(conversations, tracker, model)], model)
