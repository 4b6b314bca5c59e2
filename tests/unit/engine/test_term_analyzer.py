"""The learned topics' term reading without scikit-learn gives scikit-learn's terms.

A shard counts the terms of every conversation for the topic models
(``learned.term_counts``) and must not import scikit-learn to do so (about 45 MB in
every analyzer process). Its own analyzer must therefore give, text for text, the list
the vectorizer's ``build_analyzer()`` gives: checked on more than 10,000 real-looking
texts (text_corpus.py) for English and every supported language, plus random Unicode
(hypothesis); and the English stop words held in ``words.py`` must be scikit-learn's.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from convoscope_analyzer.engine import learned
from convoscope_analyzer.engine.language import SUPPORTED
from convoscope_analyzer.engine.words import stop_words
from tests.fresh_imports import loaded_after

from .text_corpus import corpus_texts

LANGUAGES: list[str | None] = [None, *SUPPORTED]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) >= 10_000
    assert sum(not t.isascii() for t in found) >= 3_000
    return found


def _sklearn_analyzer(language: str | None):  # type: ignore[no-untyped-def]
    # What term_counts called before: the vectorizer's own analyzer.
    return learned._vectorizer(language, 10).build_analyzer()


def test_english_stop_words_are_scikit_learns() -> None:
    assert stop_words(None) == frozenset(ENGLISH_STOP_WORDS)
    assert stop_words("en") == frozenset(ENGLISH_STOP_WORDS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_terms_equal_the_vectorizers_analyzer(texts: list[str], language: str | None) -> None:
    ours = learned._term_analyzer(language)
    theirs = _sklearn_analyzer(language)
    differing = [t for t in texts if ours(t) != theirs(t)]
    assert not differing, differing[:3]
    # The check reads terms, not only empty lists.
    assert sum(bool(ours(t)) for t in texts) > len(texts) // 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_term_counts_equal_counted_vectorizer_terms(texts: list[str], language: str | None) -> None:
    theirs = _sklearn_analyzer(language)
    for text in texts[:2000]:
        expected = dict(Counter(theirs(learned._PLACEHOLDER.sub(" ", text))))
        got = learned.term_counts(language, text)
        assert got == expected
        assert list(got) == list(expected)  # first-seen order: the fit reads them so


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_terms_equal_on_random_unicode(text: str) -> None:
    for language in (None, "de", "ru"):
        assert learned._term_analyzer(language)(text) == _sklearn_analyzer(language)(text)


def test_reading_terms_imports_no_scikit_learn() -> None:
    """A fresh process counting terms of every language loads neither scikit-learn nor
    SciPy (a shard's process stays small)."""
    code = (
        "from convoscope_analyzer.engine.learned import term_counts\n"
        "for language in (None, 'en', 'es', 'de', 'ru', 'ja', 'ko'):\n"
        "    term_counts(language, 'Compost and seedlings, Größe 12 日本語のテスト')\n"
    )
    assert loaded_after(code, ("sklearn", "scipy"), timeout=120) == []
