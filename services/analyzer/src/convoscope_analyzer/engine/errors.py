"""Typed errors the engine raises (callers map them to API error codes)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error the analysis engine raises on purpose."""


class InvalidTimezoneError(EngineError, ValueError):
    """The requested timezone is not a known IANA zone name."""

    def __init__(self, timezone: str) -> None:
        super().__init__(f"unknown timezone: {timezone!r}")
        self.timezone = timezone


class TaxonomyError(EngineError, ValueError):
    """A taxonomy file or mapping is malformed."""


class InvalidDrilldownQueryError(EngineError, ValueError):
    """A drill-down query names something the results cannot answer."""
