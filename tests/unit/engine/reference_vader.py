"""FastVader as it was before the engine's second VADER pass: the reference of
test_text_scoring_equality.py and of bench/bench_text_scoring.py ("before").

Frozen copy of services/analyzer/src/convoscope_analyzer/engine/vader.py at commit
7eadc98 (words split, stripped and lower-cased one list at a time; ``sentiment_valence``
and its helpers as separate functions). Not used by the service.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping

from vaderSentiment.vaderSentiment import (
    B_INCR,
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
)

__all__ = ["FastVader"]

_PUNCTUATION = string.punctuation
_NEGATE = frozenset(NEGATE)
_SO_THIS = ("so", "this")
_OR_NOR = ("or", "nor")
# Bigrams and trigrams of the idiom check, keyed by their last word: a check whose
# words hold none of these can only add 0 and is skipped.
_IDIOM_WORDS = frozenset(word for key in SPECIAL_CASES for word in key.split())
_BOOSTER_NGRAM_WORDS = frozenset(word for key in BOOSTER_DICT if " " in key for word in key.split())
assert B_INCR > 0  # the module mirrors vaderSentiment's constants, imported above


def _negated(word: str) -> bool:
    """vaderSentiment's ``negated([word])`` for one (already lower-cased) word."""
    lowered = word.lower()
    return lowered in _NEGATE or "n't" in lowered


def _normalize(score: float, alpha: int = 15) -> float:
    norm_score = score / math.sqrt((score * score) + alpha)
    if norm_score < -1.0:
        return -1.0
    if norm_score > 1.0:
        return 1.0
    return norm_score


def _but_check(lowers: list[str], sentiments: list[float]) -> list[float]:
    # vaderSentiment's SentimentIntensityAnalyzer._but_check, verbatim: the index of
    # a score is looked up by value, which later rules depend on.
    if "but" in lowers:
        bi = lowers.index("but")
        for sentiment in sentiments:
            si = sentiments.index(sentiment)
            if si < bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 0.5)
            elif si > bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 1.5)
    return sentiments


class FastVader:
    """VADER's compound polarity for a text, equal to vaderSentiment's
    ``polarity_scores(text)["compound"]`` for the same lexicon."""

    def __init__(self, lexicon: Mapping[str, float], emojis: Mapping[str, str]):
        self.lexicon = dict(lexicon)
        self._keys = self.lexicon.keys()
        self._emojis = dict(emojis)
        # The reference replaces characters one at a time: only one-character keys apply.
        self._emoji_chars = frozenset(key for key in emojis if len(key) == 1)

    @classmethod
    def from_analyzer(cls, analyzer: object) -> FastVader:
        """The same model as a ``SentimentIntensityAnalyzer`` (its lexicon as it is now)."""
        return cls(analyzer.lexicon, analyzer.emojis)  # type: ignore[attr-defined]

    def _without_emoji(self, text: str) -> str:
        if self._emoji_chars.isdisjoint(text):
            return text.strip()
        emojis = self._emojis
        parts: list[str] = []
        prev_space = True
        for char in text:
            if char in emojis:
                if not prev_space:
                    parts.append(" ")
                parts.append(emojis[char])
                prev_space = False
            else:
                parts.append(char)
                prev_space = char == " "
        return "".join(parts).strip()

    def compound(self, text: str) -> float:
        """The compound score rounded to four places, as vaderSentiment returns it."""
        text = self._without_emoji(text)
        raw = text.split()
        stripped = [token.strip(_PUNCTUATION) for token in raw]
        words = [s if len(s) > 2 else t for s, t in zip(stripped, raw, strict=True)]
        lowers = [word.lower() for word in words]
        hits = self._keys & set(lowers)
        if not hits:
            return 0.0  # every score is 0: the sum is 0, and so is the compound
        n = len(words)
        allcaps = sum(map(str.isupper, words))
        is_cap_diff = 0 < n - allcaps < n
        sentiments: list[float] = [0] * n
        for i, lower in enumerate(lowers):
            if lower not in hits or lower in BOOSTER_DICT:
                continue
            if lower == "kind" and i < n - 1 and lowers[i + 1] == "of":
                continue
            sentiments[i] = self._valence(words, lowers, i, is_cap_diff)
        sentiments = _but_check(lowers, sentiments)
        sum_s = float(sum(sentiments))
        ep_count = min(text.count("!"), 4)
        amplifier = ep_count * 0.292
        qm_count = text.count("?")
        if qm_count > 1:
            amplifier = amplifier + (qm_count * 0.18 if qm_count <= 3 else 0.96)
        else:
            amplifier = amplifier + 0
        if sum_s > 0:
            sum_s += amplifier
        elif sum_s < 0:
            sum_s -= amplifier
        return round(_normalize(sum_s), 4)

    def _valence(self, words: list[str], lowers: list[str], i: int, is_cap_diff: bool) -> float:
        # SentimentIntensityAnalyzer.sentiment_valence for a lexicon word at ``i``.
        lexicon = self.lexicon
        lower = lowers[i]
        n = len(lowers)
        valence = lexicon[lower]
        if lower == "no" and i != n - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lowers[i - 1] == "no")
            or (i > 1 and lowers[i - 2] == "no")
            or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in _OR_NOR)
        ):
            valence = lexicon[lower] * N_SCALAR
        if is_cap_diff and words[i].isupper():
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        for start_i in range(3):
            j = i - (start_i + 1)
            if i > start_i and lowers[j] not in lexicon:
                s = self._scalar(words[j], lowers[j], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lowers, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lowers, i)
        # _least_check
        if i > 1 and lowers[i - 1] not in lexicon and lowers[i - 1] == "least":
            if lowers[i - 2] != "at" and lowers[i - 2] != "very":
                valence = valence * N_SCALAR
        elif i > 0 and lowers[i - 1] not in lexicon and lowers[i - 1] == "least":
            valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _scalar(word: str, lower: str, valence: float, is_cap_diff: bool) -> float:
        # vaderSentiment's scalar_inc_dec; ``lower`` is ``word.lower()``.
        scalar = 0.0
        if lower in BOOSTER_DICT:
            scalar = BOOSTER_DICT[lower]
            if valence < 0:
                scalar *= -1
            if word.isupper() and is_cap_diff:
                if valence > 0:
                    scalar += C_INCR
                else:
                    scalar -= C_INCR
        return scalar


def _negation_check(valence: float, lowers: list[str], start_i: int, i: int) -> float:
    # SentimentIntensityAnalyzer._negation_check without re-lowering the message.
    if start_i == 0:
        if _negated(lowers[i - 1]):
            valence = valence * N_SCALAR
    elif start_i == 1:
        if lowers[i - 2] == "never" and lowers[i - 1] in _SO_THIS:
            valence = valence * 1.25
        elif lowers[i - 2] == "without" and lowers[i - 1] == "doubt":
            pass
        elif _negated(lowers[i - 2]):
            valence = valence * N_SCALAR
    else:
        if (lowers[i - 3] == "never" and lowers[i - 2] in _SO_THIS) or lowers[i - 1] in _SO_THIS:
            valence = valence * 1.25
        elif lowers[i - 3] == "without" and (lowers[i - 2] == "doubt" or lowers[i - 1] == "doubt"):
            pass
        elif _negated(lowers[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lowers: list[str], i: int) -> float:
    # SentimentIntensityAnalyzer._special_idioms_check; called with i > 2.
    n = len(lowers)
    window = lowers[i - 3 : i + 3]
    if _IDIOM_WORDS.isdisjoint(window) and _BOOSTER_NGRAM_WORDS.isdisjoint(window):
        return valence  # no idiom or booster n-gram can be formed from these words
    w3, w2, w1, w0 = lowers[i - 3], lowers[i - 2], lowers[i - 1], lowers[i]
    onezero = f"{w1} {w0}"
    twoonezero = f"{w2} {w1} {w0}"
    twoone = f"{w2} {w1}"
    threetwoone = f"{w3} {w2} {w1}"
    threetwo = f"{w3} {w2}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if n - 1 > i:
        zeroone = f"{w0} {lowers[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{w0} {lowers[i + 1]} {lowers[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence
