"""The evaluation scoring must be able to say a detector is bad."""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import Detection
from convoscope_analyzer.privacy.evaluation import (
    LabelledSpan,
    LabelledText,
    evaluate,
    missed_targets,
)
from convoscope_analyzer.privacy.evaluation.tricky import TrickyCaseError, parse_tricky_cases

EXAMPLES = [
    LabelledText("mail a@b.io now", [LabelledSpan("email", 5, 11)]),
    LabelledText(
        "ip 10.0.0.1 and 10.0.0.2",
        [LabelledSpan("ip_address", 3, 11), LabelledSpan("ip_address", 16, 24)],
    ),
]


def test_perfect_detector_scores_one() -> None:
    def oracle(text: str) -> list[Detection]:
        example = next(e for e in EXAMPLES if e.text == text)
        return [Detection(s.entity_type, s.start, s.end) for s in example.spans]

    report = evaluate(EXAMPLES, oracle)
    assert report.scores["email"].f2 == 1.0
    assert report.scores["ip_address"].recall == 1.0
    assert missed_targets(report, ["email", "ip_address"]) == []


def test_misses_false_positives_and_wrong_types_count() -> None:
    def sloppy(text: str) -> list[Detection]:
        if text.startswith("mail"):
            return [Detection("phone", 5, 11), Detection("email", 0, 4)]
        return [Detection("ip_address", 3, 12)]  # IoU 8/9 with the first IP: a hit

    report = evaluate(EXAMPLES, sloppy)
    email, ip, phone = (report.scores[t] for t in ("email", "ip_address", "phone"))
    assert (email.true_positives, email.false_positives, email.false_negatives) == (0, 1, 1)
    assert (ip.true_positives, ip.false_negatives) == (1, 1)
    assert ip.recall == 0.5 and ip.precision == 1.0
    assert phone.false_positives == 1 and phone.precision == 0.0
    missed = missed_targets(report, ["email", "ip_address"])
    assert "ip_address: recall 0.500 < 0.98" in missed
    assert any(line.startswith("email: precision") for line in missed)


def test_small_overlap_is_not_a_match() -> None:
    report = evaluate(EXAMPLES[:1], lambda text: [Detection("email", 5, 7)])
    assert report.scores["email"].true_positives == 0


def test_tricky_parser_labels_every_occurrence_and_rejects_missing_values() -> None:
    data = b'{"text": "x@y.io and x@y.io", "pii": [["email", "x@y.io"]]}\n\n{"text": "none"}\n'
    (first, second) = parse_tricky_cases(data)
    assert [(s.start, s.end) for s in first.spans] == [(0, 6), (11, 17)]
    assert second.spans == []
    with pytest.raises(TrickyCaseError):
        parse_tricky_cases(b'{"text": "abc", "pii": [["email", "zzz"]]}')
