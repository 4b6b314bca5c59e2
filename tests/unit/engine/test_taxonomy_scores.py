"""Taxonomy scores from keyword tables (engine/taxonomy_scores.py) are *identical* to
looping over every keyword of every category (reference_taxonomy.py, the code as it
was): on more than 10,000 real-looking texts with the taxonomy's keywords and phrases
mixed in, read in every language the taxonomy has keywords for, in languages without
keywords, as no language, and with a hand-made taxonomy whose keywords repeat, overlap
and share first words."""

from __future__ import annotations

import random

import pytest

from convoscope_analyzer.engine.taxonomy import Taxonomy, TaxonomyCategory, default_taxonomy
from convoscope_analyzer.engine.taxonomy_scores import taxonomy_scores

from . import reference_taxonomy as before
from .text_corpus import corpus_texts

LANGUAGES = (None, "en", "es", "pt", "fr", "de", "it", "ru", "ko", "ja", "zh", "nl", "unknown", "")

ODD = Taxonomy(
    categories=(
        TaxonomyCategory(
            id="a",
            label="A",
            keywords=("test", "test", "unit test", "test test", "c++", "node.js", "a  b", " x"),
            translations={"en": ("good", "good day"), "es": ("prueba", "prueba unitaria")},
        ),
        TaxonomyCategory(
            id="b", label="B", keywords=("unit test", "unit", "test case", "case"), translations={}
        ),
        TaxonomyCategory(
            id="b", label="B again", keywords=("case", "code"), translations={"ja": ("テスト",)}
        ),
        TaxonomyCategory(id="c", label="C", keywords=("", " ", "python"), translations={}),
    )
)


def _keywords(taxonomy: Taxonomy) -> list[str]:
    found = [k for c in taxonomy.categories for k in c.keywords]
    found += [k for c in taxonomy.categories for ks in c.translations.values() for k in ks]
    return found


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Corpus texts, half of them with keywords, phrases and repeats spliced in."""
    rng = random.Random(12)
    keywords = _keywords(default_taxonomy()) + _keywords(ODD)
    found = []
    for text in corpus_texts():
        if rng.random() < 0.5:
            words = text.split(" ")[:80]
            for _ in range(rng.randint(1, 8)):
                keyword = rng.choice(keywords)
                insert = " ".join([keyword] * rng.randint(1, 3))
                words.insert(
                    rng.randrange(len(words) + 1), insert.upper() if rng.random() < 0.1 else insert
                )
            text = " ".join(words)
        found.append(text)
    assert len(found) >= 10_000
    return found


@pytest.mark.parametrize("taxonomy", [default_taxonomy(), ODD], ids=["default", "odd"])
def test_scores_equal_the_keyword_loop(texts: list[str], taxonomy: Taxonomy) -> None:
    rng = random.Random(3)
    differ = []
    assigned = 0
    for i, text in enumerate(texts):
        # Every text as no language and in English; one other language each (Chinese on
        # every tenth: its reference segments the text with jieba, which is slow).
        others = [lang for lang in LANGUAGES[2:] if lang != "zh" or i % 10 == 0]
        for language in (None, "en", rng.choice(others)):
            got = taxonomy_scores(text, taxonomy, language)
            expected = before.taxonomy_scores(text, taxonomy, language)
            if got != expected:
                differ.append((language, text[:200], expected, got))
            assigned += bool(got)
    assert not differ, differ[:3]
    # Most texts hit a default keyword; the odd taxonomy's few words, a fair share.
    assert assigned > (len(texts) if taxonomy is not ODD else 2_000)


def test_every_language_on_keyword_texts() -> None:
    """Each language's own keywords, phrases repeated and overlapping."""
    taxonomy = default_taxonomy()
    for language in LANGUAGES:
        own = [k for c in taxonomy.categories for k in c.translations.get(language or "en", ())]
        english = [k for c in taxonomy.categories for k in c.keywords]
        rng = random.Random(language or "none")
        for _ in range(60):
            picked = rng.sample(own, min(len(own), 6)) + rng.sample(english, 4)
            text = " ".join(rng.choice(picked) for _ in range(rng.randint(1, 30)))
            assert taxonomy_scores(text, taxonomy, language) == before.taxonomy_scores(
                text, taxonomy, language
            ), (language, text)
    for text in ("test test test test", "unit test test case case", "TEST, test; c++ node.js"):
        for language in LANGUAGES:
            assert taxonomy_scores(text, ODD, language) == before.taxonomy_scores(
                text, ODD, language
            )


def test_a_changed_taxonomy_is_read_afresh() -> None:
    first = Taxonomy(categories=(TaxonomyCategory(id="x", label="X", keywords=("alpha",)),))
    second = Taxonomy(categories=(TaxonomyCategory(id="x", label="X", keywords=("beta",)),))
    assert taxonomy_scores("alpha beta", first)[0].topic_id == "x"
    assert taxonomy_scores("beta", first) == []
    assert taxonomy_scores("beta", second)[0].topic_id == "x"
