"""The optional price table: JSON text or a file, refused clearly when wrong, in the
cache key so results with other prices are never reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_common.cache import privacy_fingerprint
from convoscope_common.config import ConfigurationError, Settings
from convoscope_common.pricing import load_price_table

TABLE = '{"currency": "EUR", "prices": {"gpt-4o": {"input": 2.5, "output": 10}}}'


def test_no_table_means_no_prices() -> None:
    assert load_price_table(Settings()) is None


def test_json_text_and_file_give_the_same_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(TABLE)
    inline = load_price_table(Settings(price_table=TABLE))
    assert inline is not None and inline.currency == "EUR"
    assert inline.prices["gpt-4o"].output == 10
    assert load_price_table(Settings(price_table=str(path))) == inline


@pytest.mark.parametrize(
    "raw",
    [
        '{"prices": {"x": {"input": -1}}}',
        '{"prices": {"x": {"inputs": 1}}}',
        "{not json",
        "/no/such/price/file.json",
    ],
)
def test_a_bad_table_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="CONVOSCOPE_PRICE_TABLE"):
        load_price_table(Settings(price_table=raw))


def test_prices_enter_the_cache_key() -> None:
    assert privacy_fingerprint(Settings()) != privacy_fingerprint(Settings(price_table=TABLE))
