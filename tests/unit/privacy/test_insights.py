from __future__ import annotations

from convoscope_analyzer.privacy import insights
from convoscope_common.results import PrivacyReport


def test_lines_by_count_with_plurals() -> None:
    report = PrivacyReport(
        total=131,
        counts={"email": 127, "secret": 3, "iban": 1, "phone": 0},
        operators={"email": "replace", "secret": "replace", "iban": "mask"},
    )
    assert insights(report) == [
        "Redacted 127 email addresses",
        "Redacted 3 API keys and secrets",
        "Masked 1 IBAN",
    ]


def test_keep_best_effort_and_thousands() -> None:
    report = PrivacyReport(
        total=1502,
        counts={"person_name": 2, "phone": 1500},
        operators={"person_name": "pseudonym", "phone": "keep"},
        best_effort_types=["person_name"],
    )
    assert insights(report) == [
        "Found 1,500 phone numbers (kept as configured)",
        "Pseudonymised 2 possible person names (best effort)",
    ]


def test_nothing_found_and_disabled() -> None:
    assert insights(PrivacyReport()) == ["No personal data or secrets detected"]
    assert insights(PrivacyReport(enabled=False)) == []
