"""National phone numbers of another region than the default: hints, fallbacks, look-alikes."""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import detect
from convoscope_analyzer.privacy.detectors.phone_regions import (
    located_region_hints,
    nearest_regions,
)


def phones(text: str, region: str = "US") -> list[str]:
    return [text[d.start : d.end] for d in detect(text, region=region) if d.entity_type == "phone"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Our Paris desk: 01 42 68 53 00", "01 42 68 53 00"),
        ("Berlin office 030 12345678", "030 12345678"),
        ("in Spain call 612 345 678", "612 345 678"),
        ("Sydney: (02) 9374 4000", "(02) 9374 4000"),
        ("Tokyo branch 03-1234-5678", "03-1234-5678"),
        ("Leeds +44 113 496 0555, Manchester 0161 496 0123", "0161 496 0123"),
    ],
)
def test_region_named_in_text(text: str, number: str) -> None:
    assert number in phones(text)


def test_trunk_prefix_tries_fallback_regions_without_a_hint() -> None:
    assert phones("office line 020 7946 0958") == ["020 7946 0958"]


def test_no_trunk_prefix_and_no_hint_is_not_guessed() -> None:
    assert phones("line 612 345 678") == []


def test_double_zero_is_an_international_prefix() -> None:
    assert phones("dial 0041 44 668 18 00") == ["0041 44 668 18 00"]


def test_possible_number_needs_a_phone_cue() -> None:
    # 07700 900xxx is reserved (not valid) but shaped like a UK mobile.
    assert phones("Call me on 07700 900123") == ["07700 900123"]
    assert phones("Reference 07700 900123") == []


@pytest.mark.parametrize(
    "text",
    [
        "London, started 2018-06-09 (8 items)",
        "UK badge 078-05-1120",
        "Berlin date 07.03.2021 and 14.05.2024",
        "NL21 YINM 0149 8899 83",
        "UPS 1Z 999 AA1 01 2345 6784 from London",
        "UK epoch 1607907430",
    ],
)
def test_look_alikes_in_a_text_that_names_a_region(text: str) -> None:
    assert phones(text) == []


def test_nearest_region_first() -> None:
    text = "Dublin team, and our Berlin office: 030 12345678"
    located = located_region_hints(text)
    assert nearest_regions(located, text.index("030"))[:2] == ["DE", "IE"]


def test_country_code_elsewhere_is_a_hint() -> None:
    located = located_region_hints("mobile +447911123456, landline 0113 496 0555")
    assert [r for _, r in located] == ["GB"]
