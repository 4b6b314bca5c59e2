"""The corpus read once into the shape every analysis needs (local times, word counts).

The prepared shape is the shared aggregates' own (the exporter prepares a filtered
corpus the same way); the engine adds the strict timezone check.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convoscope_analyzer.engine.errors import InvalidTimezoneError
from convoscope_common.aggregates.prepared import (
    PreparedConversation,
    PreparedMessage,
    prepare_corpus,
)

__all__ = ["PreparedConversation", "PreparedMessage", "prepare_corpus", "resolve_timezone"]


def resolve_timezone(name: str) -> tzinfo:
    """The zoneinfo zone for an IANA name; raises :class:`InvalidTimezoneError`.

    "UTC" is ``datetime.UTC``, the tzinfo the corpus's timestamps already carry, so
    converting them is a no-op that returns the same object instead of a copy per message.
    """
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidTimezoneError(name) from None
