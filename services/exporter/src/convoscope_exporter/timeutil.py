"""Local-time helpers: every date bucket is computed in the analysis timezone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name; unknown names fall back to UTC (results already say which)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def to_local(moment: datetime, tz: tzinfo) -> datetime:
    """Convert to ``tz``; naive datetimes are taken as UTC, as the parsers emit UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def month_key(moment: datetime) -> str:
    """``YYYY-MM`` of an already-localised datetime."""
    return f"{moment.year:04d}-{moment.month:02d}"


def week_key(moment: datetime) -> str:
    """ISO week ``YYYY-Www`` of an already-localised datetime."""
    iso = moment.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def naive_local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """Local wall-clock time without tzinfo (what spreadsheets store)."""
    if moment is None:
        return None
    return to_local(moment, tz).replace(tzinfo=None)
