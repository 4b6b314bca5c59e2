"""The single candidate pass finds exactly what the old per-detector scans found.

``scanner.detect`` (one candidate pass, detectors at their candidates) is compared with
``reference_scan.detect`` (the scanning layer as it was: each detector looking for its
own anchors) on more than 10,000 texts: every text of a generated claude.ai and ChatGPT
export (bench/generate_export.py), of a synthetic corpus (bench/synthetic_corpus.py),
the labelled privacy sets (synthetic, tricky, held-out, URL secrets, the multilingual
names and addresses), and generated strings that pile up the things the candidate pass
looks for (keywords in odd case, digit runs around separators, colons, "@", line
starts, look-alike characters such as the Kelvin sign and the long s). Detections and
the redacted texts of a whole corpus (placeholders numbered in reading order) must be
identical. The candidate pass itself is checked against ``str.find`` on every keyword.
"""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy.candidates import _DERIVED, _KEYWORD_ANCHORS, find_candidates
from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.scanner import detect

from . import reference_scan
from .scan_texts import assert_redactions_match, detection_key


@pytest.fixture(scope="module")
def detections(texts: list[str]) -> list[list[Detection]]:
    return [detect(text) for text in texts]


def test_the_sets_hold_what_the_detectors_find(detections: list[list[Detection]]) -> None:
    """A comparison on texts without findings would prove nothing."""
    found = {d.entity_type for found in detections for d in found}
    assert found >= {
        "email", "phone", "ssn", "credit_card", "iban", "ip_address", "street_address",
        "secret", "person_name",
    }  # fmt: skip
    assert sum(map(len, detections)) > 5_000


def test_detections_equal_the_reference(
    texts: list[str], detections: list[list[Detection]]
) -> None:
    differ = [
        text
        for text, found in zip(texts, detections, strict=True)
        if detection_key(found) != detection_key(reference_scan.detect(text))
    ]
    assert not differ, f"{len(differ)} texts differ, first: {differ[0]!r}"


@pytest.mark.parametrize(("region", "detect_names"), [("GB", True), ("US", False)])
def test_detections_equal_the_reference_in_other_settings(
    texts: list[str], region: str, detect_names: bool
) -> None:
    differ = [
        text
        for text in texts[::4]
        if detection_key(detect(text, region=region, detect_names=detect_names))
        != detection_key(reference_scan.detect(text, region=region, detect_names=detect_names))
    ]
    assert not differ, f"{len(differ)} texts differ, first: {differ[0]!r}"


def test_redacted_corpus_equals_the_reference(texts: list[str]) -> None:
    """One redactor over all texts: the same placeholders, numbered in the same order
    (and the other operators: mask, pseudonym, keep)."""
    assert_redactions_match(reference_scan.detect, texts)


def _all_positions(lowered: str, word: str) -> list[int]:
    out: list[int] = []
    at = lowered.find(word)
    while at >= 0:
        out.append(at)
        at = lowered.find(word, at + 1)
    return out


def test_candidate_pass_finds_every_keyword_and_anchor(texts: list[str]) -> None:
    for text in texts[::3]:
        lowered = lower_same_length(text)
        found = find_candidates(text, lowered)
        for word in (*_KEYWORD_ANCHORS, *_DERIVED):
            assert list(found.hits_of(word)) == _all_positions(lowered, word), word
        assert list(found.ats) == _all_positions(text, "@")
        assert list(found.colons) == _all_positions(text, ":")
        # Newlines only where a name cue may follow: all of them the cues match after.
        assert set(found.newlines) <= set(_all_positions(text, "\n"))
        assert found.digits == sum(map(text.count, "0123456789"))


def test_candidate_digit_runs_are_whole_runs() -> None:
    text = "call 12 times: 221B Baker Street, DE89 3704 0044 0532 0130 00, 10.0.0.1 and 2024"
    runs = find_candidates(text).runs
    spans = [text[s:e] for s, e in runs]
    # "12" (no street after), "2024" and the IBAN's later groups are not candidates.
    assert spans == ["221", "89", "10"]
