"""The shortcuts of the per-message scorers answer as the plain code does, text by text:
fastText's labels from an ASCII sample's bytes, the flag phrases' automaton gate, the
error-output test of ``prose`` as one cue-group scan. (The whole scorers are compared
with their old versions in test_text_scoring_equality.py.)"""

from __future__ import annotations

import re

import pytest

from convoscope_analyzer.engine import language, sentiment
from convoscope_analyzer.engine.cues import cues_for
from convoscope_analyzer.engine.langid import top_labels, top_labels_ascii

from .text_corpus import corpus_texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts(variants=3000, seed=9)
    assert len(found) >= 10_000
    return found


def test_ascii_labels_equal_the_plain_ones(texts: list[str]) -> None:
    samples = [language.prose_sample(t) for t in texts]
    samples += ["HELLO THERE HOW ARE YOU", "Hello\nTHERE HOW ARE YOU", "ABCDEF g", "ok", "Q?\n"]
    checked = 0
    for sample in samples:
        if not sample.isascii():
            continue
        raw = sample.encode("ascii")
        letters = sum(c.isalpha() for c in sample)
        assert top_labels_ascii(sample, raw, letters) == top_labels(sample), sample
        checked += 1
    assert checked > 5_000


def test_prose_sample_reads_only_the_head() -> None:
    tail = " see https://example.com/x and a@b.io, TypeError: bad"
    for head in ("plain words " * 70, "`code` " + "words " * 140, "x" * 801, ""):
        text = head + tail
        expected = language._CODE.sub(" ", text[:800])[:200]
        assert language.prose_sample(text) == expected


def _flags_by_regex(text: str) -> tuple[bool, bool, bool]:
    # detect_flags without the automaton gate.
    questioning = "?" in text or sentiment._QUESTION_START.match(text.lstrip()[:40]) is not None
    if text.isascii():
        lowered = text.lower()
        return (
            "!!" in text or sentiment._URGENT_LOWER.search(lowered) is not None,
            questioning,
            sentiment._COLLABORATIVE_LOWER.search(lowered) is not None,
        )
    return (
        "!!" in text or sentiment._URGENT.search(text) is not None,
        questioning,
        sentiment._COLLABORATIVE.search(text) is not None,
    )


def test_flag_gates_hold_every_phrase(texts: list[str]) -> None:
    phrases = ["URGENTLY", "time sensitive", "Time-Sensitive", "asap!!", "our", "your", "hour"]
    extra = [f"{p} x" for p in phrases] + [f"x {p}" for p in phrases] + phrases
    found = [sentiment.detect_flags(t) for t in texts + extra]
    assert found == [_flags_by_regex(t) for t in texts + extra]
    assert sum(f[0] for f in found) > 200 and sum(f[2] for f in found) > 200
    # Each phrase of the lists is a regex whose matches hold its gate string.
    gates = sentiment._FLAG_GATES
    for bit, phrases_ in (
        (sentiment._URGENT_BIT, sentiment._URGENT_PHRASES),
        (sentiment._COLLABORATIVE_BIT, sentiment._COLLABORATIVE_PHRASES),
    ):
        for phrase, gate in zip(phrases_, gates[bit], strict=True):
            assert re.fullmatch(phrase.replace("(?:ly)?", "").replace("[- ]", "-"), gate) or (
                gate in phrase
            )


def test_prose_with_one_scan_equals_the_section_search(texts: list[str]) -> None:
    book = cues_for("en")
    errors = book.section("error_output")
    pasted = sentiment._pasted_group(book)
    for text in texts:
        outside = "\n".join(text.split("```")[0::2]) if "```" in text else text
        plain = errors.search(outside) is None
        assert (pasted.scan(outside).section("error_output") is None) == plain
        assert pasted.scan(outside).section("error_output") == errors.search(outside)
