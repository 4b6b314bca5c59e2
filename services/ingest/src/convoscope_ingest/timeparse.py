"""Lenient timestamp parsing: every datetime leaving ingest is timezone-aware UTC and can
be shifted into any timezone.

``datetime`` stops at years 1 and 9999, so an instant within a day of either end cannot
be shown in every zone (``0001-01-01T00:00:00Z`` in New York is year 0). Such values are
dropped (None) and counted in parse health instead of failing the encoding or the
analysis later.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Protocol

# More than 6 fractional digits (nanoseconds) is valid ISO 8601 but not for datetime.
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
# UTC offsets stay under 24 h (Python's own limit), so a day of margin is enough.
EARLIEST_SAFE = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST_SAFE = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


class TimeNotes(Protocol):
    """Where out-of-range timestamps are counted (the parse-health recorder)."""

    def note(self, name: str, count: int = 1) -> None: ...


NOTE_TIME_OUT_OF_RANGE = "timestamps out of range (dropped)"


def safe_utc(value: datetime, notes: TimeNotes | None = None) -> datetime | None:
    """``value`` in UTC when every timezone can show it, else None (counted in ``notes``)."""
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST_SAFE <= utc <= LATEST_SAFE:
        if notes is not None:
            notes.note(NOTE_TIME_OUT_OF_RANGE)
        return None
    return utc


def parse_iso(value: str | None, notes: TimeNotes | None = None) -> datetime | None:
    """Parse an ISO-8601 string (``Z`` or offset, 0-9 fraction digits) to UTC; None if unusable.

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
    return safe_utc(parsed, notes)


def from_epoch(value: float | None, notes: TimeNotes | None = None) -> datetime | None:
    """Epoch seconds (ChatGPT ``create_time``) to an aware UTC datetime; None if unusable."""
    if value is None or not math.isfinite(value):
        return None
    try:
        parsed = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        if notes is not None:
            notes.note(NOTE_TIME_OUT_OF_RANGE)
        return None
    return safe_utc(parsed, notes)
