"""Lenient timestamp parsing: every datetime leaving ingest is timezone-aware (UTC)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

# More than 6 fractional digits (nanoseconds) is valid ISO 8601 but not for datetime.
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_iso(value: str | None) -> datetime | None:
    """Parse an ISO-8601 string (``Z`` or offset, 0-9 fraction digits); None if unusable.

    A value without a zone is taken as UTC, which is what the exports mean.
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", value))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def from_epoch(value: float | None) -> datetime | None:
    """Epoch seconds (ChatGPT ``create_time``) to an aware UTC datetime; None if unusable."""
    if value is None or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
