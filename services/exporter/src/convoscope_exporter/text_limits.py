"""Cutting over-long text with a visible marker."""

from __future__ import annotations

TRUNCATION_MARKER = " … [truncated]"


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters (marker included); and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER, True
