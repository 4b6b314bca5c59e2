"""The optional price table (``CONVOSCOPE_PRICE_TABLE``): turns estimated tokens into an
estimated cost. ConvoScope ships no prices: the operator states them.

The setting holds JSON text, or the path of a JSON file::

    {"currency": "USD", "prices": {"gpt-4o": {"input": 2.5, "output": 10},
                                   "claude": {"input": 3, "output": 15}}}

Prices are per million tokens; a key is a model name (as the export writes it) or a
vendor (``claude``, ``chatgpt``) that prices every model of that vendor without its own.
"""

from __future__ import annotations

import hashlib

import msgspec

from convoscope_common.comparison_types import PriceTable
from convoscope_common.config import ConfigurationError, Settings

_VARIABLE = "CONVOSCOPE_PRICE_TABLE"


def load_price_table(settings: Settings) -> PriceTable | None:
    """The configured price table, None without one, or :class:`ConfigurationError`."""
    raw = settings.price_table.strip()
    if not raw:
        return None
    if not raw.startswith("{"):
        try:
            with open(raw, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ConfigurationError(f"{_VARIABLE}: cannot read {raw!r}: {exc.strerror}") from None
    try:
        table = msgspec.json.decode(raw, type=PriceTable)
    except msgspec.DecodeError as exc:
        raise ConfigurationError(f"{_VARIABLE}: not a valid price table: {exc}") from None
    for name, entry in table.prices.items():
        if entry.input < 0 or entry.output < 0:
            raise ConfigurationError(f"{_VARIABLE}: negative price for {name!r}")
    return table


def price_fingerprint(settings: Settings) -> str:
    """A digest of the price table (results with other prices are never reused)."""
    try:
        table = load_price_table(settings)
    except ConfigurationError:
        return "invalid"  # the analyzer refuses to start with it anyway
    if table is None:
        return ""
    return hashlib.sha256(msgspec.json.encode(table)).hexdigest()[:16]
