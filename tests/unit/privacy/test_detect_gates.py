"""The tightened gates of the privacy scan find exactly what the scan found before them.

``scanner.detect`` (gates as set operations on the keywords found, IBAN/IPv4/address
detectors only with a candidate digit run, config and spoken secrets skipping keywords
that do not occur, a URL's end found by one regex match) is compared with
``reference_detect.detect`` (a frozen copy of the scan before, issue #12) on more than
10,000 texts (scan_texts.py): the detections, in every setting, and the redacted texts
of a whole corpus must be identical.
"""

from __future__ import annotations

import random

import pytest

from convoscope_analyzer.privacy.candidates import _DERIVED, find_candidates, word_groups
from convoscope_analyzer.privacy.detectors.spoken_secrets import _STARTS
from convoscope_analyzer.privacy.detectors.url_secrets import _url_end
from convoscope_analyzer.privacy.scanner import detect

from . import reference_detect
from .scan_texts import FRAGMENTS, assert_redactions_match, detection_key


@pytest.mark.parametrize(
    ("region", "detect_names", "step"), [("US", True, 1), ("GB", True, 3), ("US", False, 3)]
)
def test_detections_equal_the_frozen_scan(
    texts: list[str], region: str, detect_names: bool, step: int
) -> None:
    found = 0
    differ = []
    for text in texts[::step]:
        new = detect(text, region=region, detect_names=detect_names)
        old = reference_detect.detect(text, region=region, detect_names=detect_names)
        found += len(new)
        if detection_key(new) != detection_key(old):
            differ.append(text)
    assert not differ, f"{len(differ)} texts differ, first: {differ[0]!r}"
    assert found > 2_000  # a comparison on texts without findings would prove nothing


def test_redacted_texts_equal_the_frozen_scan(texts: list[str]) -> None:
    """One redactor over all texts: the same placeholders, numbered in the same order
    (and the other operators: mask, pseudonym, keep)."""
    assert_redactions_match(reference_detect.detect, texts)


def test_url_end_is_the_loop_over_characters() -> None:
    """``\\s`` in the regex is ``str.isspace``: checked on every code point."""
    for code in range(0x110000):
        one = chr(code)  # a URL of one character, or none
        assert _url_end(one, 0) == reference_detect.url_end(one, 0), hex(code)
    rng = random.Random(5)
    pieces = ["https://", "a", "?", "#", " ", "\u00a0", "\u2028", "\u3000", '"', "'", "<", ">"]
    pieces += ["`", "\t", "\n", "x=1&y", "é", "\x1c", "\x85"]
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 30)))
        for start in range(len(text) + 1):
            assert _url_end(text, start) == reference_detect.url_end(text, start)


def test_hits_of_any_is_the_union_of_hits_of(texts: list[str]) -> None:
    groups_of = [(words, word_groups(words)) for _, words in _STARTS]
    groups_of.append((tuple(_DERIVED), word_groups(tuple(_DERIVED))))
    rng = random.Random(9)
    extra = ["".join(rng.choices(FRAGMENTS, k=rng.randint(1, 60))) for _ in range(2000)]
    for text in texts[::2] + extra:
        candidates = find_candidates(text)
        for words, groups in groups_of:
            expected = sorted({p for word in words for p in candidates.hits_of(word)})
            assert candidates.hits_of_any(groups) == expected


def test_word_groups_refuse_a_word_no_keyword_finds() -> None:
    with pytest.raises(ValueError, match="neither a keyword"):
        word_groups(("password", "secretive"))
