"""The complaint detectors' word split (``words_of``, quicker on ASCII text) is the word
pattern's ``findall``: on >= 10,000 texts in every cue language (cue examples, labelled
turns, the multilingual set), re-cased, with typographic apostrophes, and on 100,000
random strings of ASCII, apostrophes and a few letters whose case folding differs.
Signals and findings are compared with the old code by test_cue_scan_equality.py."""

from __future__ import annotations

import random

import pytest

from convoscope_analyzer.engine.complaints import _WORD, words_of
from convoscope_analyzer.engine.cues import normalise
from tests.export_texts import cue_fragments

FRAGMENTS = cue_fragments()


def _text(rng: random.Random) -> str:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.choice((1, 1, 2, 3, 5)))]
    text = rng.choice((" ", "\n", ". ", "")).join(parts)
    roll = rng.random()
    if roll < 0.1:
        text = text.upper()
    elif roll < 0.15:
        text = text.lower()
    if rng.random() < 0.15:
        text = text.replace("'", "\u2019")
    if rng.random() < 0.05:
        text = "\u0130GNORE \u212aELVIN " + text  # characters whose case folding differs
    return text


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rng = random.Random(31)
    found = [_text(rng) for _ in range(12_000)]
    assert len(found) >= 10_000
    assert sum(t.isascii() for t in found) > 3_000
    assert sum(not t.isascii() for t in found) > 3_000
    assert sum("'" in t for t in found) > 1_000
    return found


def test_words_of_is_the_word_pattern(texts) -> None:
    for text in texts:
        for variant in (text, text.lower(), normalise(text).lower()):
            assert words_of(variant) == _WORD.findall(variant)
    rng = random.Random(2)
    alphabet = [chr(code) for code in range(128)] + ["'"] * 8 + ["é", "\u2019", "\u0130", "ß"]
    for _ in range(100_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert words_of(text) == _WORD.findall(text), repr(text)
