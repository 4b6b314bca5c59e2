"""Local time: every date bucket of the results is computed in the analysis timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convoscope_common.corpus import Conversation, Message

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def zone_or_utc(name: str) -> tzinfo:
    """The zone for an IANA name, UTC for an unknown one (the results already say which).

    "UTC" is ``datetime.UTC``, the tzinfo the corpus's timestamps already carry, so
    converting them is a no-op that returns the same object instead of a copy.
    """
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return UTC


def message_time(message: Message, conversation: Conversation) -> datetime | None:
    """When a message was sent, falling back to the conversation's creation time.

    Naive timestamps are read as UTC (the exports write UTC).
    """
    when = message.created_at or conversation.created_at
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def to_local(when: datetime, zone: tzinfo) -> datetime:
    """The same instant on the wall clock of ``zone``; naive datetimes are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone)


def month_key(when: date) -> str:
    """'YYYY-MM' of a local datetime (or date)."""
    return f"{when.year:04d}-{when.month:02d}"


def week_key(when: date) -> str:
    """ISO week 'YYYY-Www' of a local datetime (or date)."""
    year, week, _ = when.isocalendar()
    return f"{year:04d}-W{week:02d}"
