"""VADER's compound score, computed the way vaderSentiment 3.3.2 computes it, faster.

``SentimentIntensityAnalyzer.polarity_scores`` spends most of its time on work whose
result is known in advance: it rebuilds the text character by character to replace
emoji, lower-cases every word of the message again for every lexicon word it scores
(three times per word in the negation check, once more in the idiom check), and
computes positive/negative/neutral proportions the engine never reads. This module
keeps VADER's rules, constants, lexicon and order of floating-point operations and
drops the repeated work:

- emoji are replaced only when the text holds one (none in ASCII text, else a set
  test in C);
- the text is lower-cased once, not word by word. This gives every word's
  ``lower()`` because, for every Unicode character (``test_vader_equality.py``
  checks each one): lower-casing never creates, removes or moves whitespace or ASCII
  punctuation, so splitting and ``strip(string.punctuation)`` commute with it; it
  changes no length but U+0130's (a text holding it takes the word-by-word path); the
  one context rule (final sigma) looks no further than the surrounding whitespace;
  and it is idempotent, so VADER's repeated ``lower()`` of lower-cased words changes
  nothing;
- a word is upper case (``isupper``) exactly when its token before stripping is
  (ASCII punctuation has no case), so the capitals rule reads the raw tokens; an ASCII
  text without A-Z has no upper-case word;
- only lexicon words are scored (every other word contributes VADER's integer 0), with
  ``sentiment_valence``'s helpers inlined in their order of operations, and a message
  without any lexicon word scores 0.0 without a loop;
- the contrastive "but" rule is vaderSentiment's own code, quirks included (it looks
  a score up by value with ``list.index``, so equal scores before the "but" are
  changed in the order VADER changes them).

``tests/unit/engine/test_vader_equality.py`` checks that the compound is *equal* to
vaderSentiment's on more than 10,000 generated and hand-written messages. No result
is cached: every message is scored from its text.
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
_BOOSTERS = frozenset(BOOSTER_DICT)
assert B_INCR > 0  # the module mirrors vaderSentiment's constants, imported above


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
        # vaderSentiment's emoji are all outside ASCII: an ASCII text holds none.
        self._ascii_free = not any(char.isascii() for char in self._emoji_chars)

    @classmethod
    def from_analyzer(cls, analyzer: object) -> FastVader:
        """The same model as a ``SentimentIntensityAnalyzer`` (its lexicon as it is now)."""
        return cls(analyzer.lexicon, analyzer.emojis)  # type: ignore[attr-defined]

    def _without_emoji(self, text: str) -> str:
        if (self._ascii_free and text.isascii()) or self._emoji_chars.isdisjoint(text):
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
        lowered = text.lower()
        if len(lowered) == len(text):
            # No character lower-cases to several (only U+0130 does): lower-casing the
            # whole text lower-cases each token, and stripping ASCII punctuation
            # commutes with it (module docstring), so one lower() serves every word.
            lowers = [
                s if len(s := token.strip(_PUNCTUATION)) > 2 else token for token in lowered.split()
            ]
        else:
            tokens = text.split()
            stripped = [token.strip(_PUNCTUATION) for token in tokens]
            lowers = [
                (s if len(s) > 2 else t).lower() for s, t in zip(stripped, tokens, strict=True)
            ]
        hits = self._keys & set(lowers)
        if not hits:
            return 0.0  # every score is 0: the sum is 0, and so is the compound
        n = len(lowers)
        if text.isascii() and lowered == text:
            raw: list[str] = []  # no capital letter: no word is upper case
            is_cap_diff = False
        else:
            # A word is upper case exactly when its unstripped token is (ASCII
            # punctuation has no case), so the raw tokens stand for VADER's words.
            raw = text.split()
            allcaps = sum(map(str.isupper, raw))
            is_cap_diff = 0 < n - allcaps < n
        sentiments: list[float] = [0] * n
        valence = self._valence
        # Booster words score 0 (VADER skips them). Each scored word's places are found
        # by list.index (in C) rather than by a Python loop over every word; a place's
        # score depends on the words only, not on the order places are scored in.
        for word in hits - _BOOSTERS:
            i = -1
            for _ in range(lowers.count(word)):
                i = lowers.index(word, i + 1)
                if word == "kind" and i < n - 1 and lowers[i + 1] == "of":
                    continue
                sentiments[i] = valence(raw, lowers, i, is_cap_diff)
        if "but" in lowers:
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

    def _valence(self, raw: list[str], lowers: list[str], i: int, is_cap_diff: bool) -> float:
        # SentimentIntensityAnalyzer.sentiment_valence for a lexicon word at ``i``, with
        # scalar_inc_dec, _negation_check and _least_check inlined, in VADER's order of
        # operations. ``raw[k].isupper()`` is VADER's ``words[k].isupper()``; it is
        # read only when ``is_cap_diff``.
        lexicon = self.lexicon
        lower = lowers[i]
        valence = lexicon[lower]
        if lower == "no" and i != len(lowers) - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        w1 = lowers[i - 1] if i > 0 else None
        w2 = lowers[i - 2] if i > 1 else None
        w3 = lowers[i - 3] if i > 2 else None
        if w1 == "no" or w2 == "no" or (w3 == "no" and w1 in _OR_NOR):
            valence = lexicon[lower] * N_SCALAR
        if is_cap_diff and raw[i].isupper():
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        if w1 is not None and w1 not in lexicon:
            s = 0.0
            if w1 in BOOSTER_DICT:
                s = _booster(BOOSTER_DICT[w1], valence, is_cap_diff and raw[i - 1].isupper())
            valence = valence + s
            if w1 in _NEGATE or "n't" in w1.lower():
                valence = valence * N_SCALAR
        if w2 is not None and w2 not in lexicon:
            s = 0.0
            if w2 in BOOSTER_DICT:
                s = _booster(BOOSTER_DICT[w2], valence, is_cap_diff and raw[i - 2].isupper())
                if s != 0:
                    s = s * 0.95
            valence = valence + s
            if w2 == "never" and w1 in _SO_THIS:
                valence = valence * 1.25
            elif w2 == "without" and w1 == "doubt":
                pass
            elif w2 in _NEGATE or "n't" in w2.lower():
                valence = valence * N_SCALAR
        if w3 is not None and w3 not in lexicon:
            s = 0.0
            if w3 in BOOSTER_DICT:
                s = _booster(BOOSTER_DICT[w3], valence, is_cap_diff and raw[i - 3].isupper())
                if s != 0:
                    s = s * 0.9
            valence = valence + s
            if (w3 == "never" and w2 in _SO_THIS) or w1 in _SO_THIS:
                valence = valence * 1.25
            elif w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
                pass
            elif w3 in _NEGATE or "n't" in w3.lower():
                valence = valence * N_SCALAR
            valence = _special_idioms_check(valence, lowers, i)
        # _least_check
        if w1 == "least" and w1 not in lexicon:
            if w2 is None or (w2 != "at" and w2 != "very"):
                valence = valence * N_SCALAR
        return valence


def _booster(scalar: float, valence: float, upper: bool) -> float:
    # vaderSentiment's scalar_inc_dec for a booster word (``upper``: the word is in
    # capitals among words that are not).
    if valence < 0:
        scalar *= -1
    if upper:
        if valence > 0:
            scalar += C_INCR
        else:
            scalar -= C_INCR
    return scalar


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
