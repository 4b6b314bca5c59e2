"""Cursor pagination over immutable, stably ordered sequences.

Cached results never change under their key, so a cursor is the position of the
next item plus a digest of the query it belongs to: a cursor reused with another
filter is refused rather than silently skipping or repeating rows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from convoscope_gateway.errors import ValidationError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Query parameters that select a page rather than the rows.
PAGING_PARAMS = frozenset({"cursor", "limit"})


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts and how long it is."""

    offset: int
    limit: int
    scope: str  # digest of the query the cursor belongs to


def _scope(query: Mapping[str, str] | Sequence[tuple[str, str]], extra: str) -> str:
    items = query.items() if isinstance(query, Mapping) else query
    material = "&".join(sorted(f"{k}={v}" for k, v in items if k not in PAGING_PARAMS))
    return hashlib.sha256(f"{extra}?{material}".encode()).hexdigest()[:12]


def encode_cursor(offset: int, scope: str) -> str:
    """An opaque cursor for the item at ``offset`` of the query ``scope``."""
    return base64.urlsafe_b64encode(f"{offset}:{scope}".encode()).decode().rstrip("=")


def page_request(
    query: Mapping[str, str] | Sequence[tuple[str, str]],
    extra: str = "",
    default_limit: int = DEFAULT_LIMIT,
    max_limit: int = MAX_LIMIT,
) -> PageRequest:
    """Read ``cursor`` and ``limit`` from a query string (422 when they are unusable)."""
    params = dict(query.items() if isinstance(query, Mapping) else query)
    scope = _scope(query, extra)
    raw_limit = params.get("limit")
    limit = default_limit
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ValidationError(f"limit must be a whole number, not {raw_limit!r}") from None
        if not 1 <= limit <= max_limit:
            raise ValidationError(f"limit must be between 1 and {max_limit}")
    offset = 0
    cursor = params.get("cursor")
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            position, cursor_scope = base64.urlsafe_b64decode(padded).decode().split(":", 1)
            offset = int(position)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("the cursor is not valid; start again without it") from None
        if cursor_scope != scope or offset < 0:
            raise ValidationError(
                "the cursor belongs to another query; start again without it"
            ) from None
    return PageRequest(offset=offset, limit=limit, scope=scope)


def slice_page(items: Sequence[T], page: PageRequest) -> tuple[list[T], str | None]:
    """The items of the page and the cursor of the next one (None on the last page)."""
    end = page.offset + page.limit
    chunk = list(items[page.offset : end])
    return chunk, encode_cursor(end, page.scope) if end < len(items) else None
