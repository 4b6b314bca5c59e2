"""Validation of ``convoscope analyze`` options before any work starts."""

from __future__ import annotations

import pytest

from convoscope_cli.errors import UsageError
from convoscope_cli.options import check_timezone, parse_filter, parse_formats


def test_formats_keep_order_and_drop_duplicates() -> None:
    assert parse_formats("pdf, html,pdf") == ["pdf", "html"]


@pytest.mark.parametrize("raw", ["", " , ", "docx", "html,xml"])
def test_bad_formats_are_usage_errors(raw: str) -> None:
    with pytest.raises(UsageError):
        parse_formats(raw)


def test_timezone_must_be_iana() -> None:
    assert check_timezone("Europe/Paris") == "Europe/Paris"
    with pytest.raises(UsageError, match="unknown timezone"):
        check_timezone("Mars/Olympus")


def test_filter_from_key_values_and_json(tmp_path: object) -> None:
    flt = parse_filter(
        ["date_from=2025-01-01", "roles=user,assistant", '{"sentiment": ["Negative"]}']
    )
    assert flt == {
        "date_from": "2025-01-01",
        "roles": ["user", "assistant"],
        "sentiment": ["Negative"],
    }
    assert parse_filter([]) == {}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["roles=robot"], "unknown role"),
        (["date_from=2025-02-01", "date_to=2025-01-01"], "after"),
        (["date_from=yesterday"], "date"),
        (["colour=blue"], "KEY=VALUE"),
        (["{not json"], "JSON"),
        (['{"nope": 1}'], "nope"),
        (["@/no/such/file.json"], "cannot read"),
    ],
)
def test_bad_filters_are_usage_errors(items: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_filter(items)
