"""Time and id helpers (one place, so tests and services agree)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random, URL-safe id such as ``job_3f9c...``."""
    return f"{prefix}_{secrets.token_hex(12)}"
