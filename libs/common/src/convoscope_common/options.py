"""What a caller asks for: the options of an analysis and of an export.

One type per boundary: :class:`AnalysisOptions` is what ``POST /api/analysis`` takes
and what the job message and the job record carry unchanged; the results record the
options that change their numbers (``results.AnalysisOptionsUsed``, built by the
engine), and the engine is called with its own ``EngineOptions``. Export options travel
the same way from ``POST /api/export`` to the exporter. Pure: types and checks only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

from convoscope_common.corpus import ROLES
from convoscope_common.names import Priority
from convoscope_common.results import SENTIMENT_LABELS

ExportFormat = Literal["csv", "xlsx", "pdf", "html", "json"]
MAX_FILTER_VALUES = 10_000


class AnalysisOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Options of ``POST /api/analysis`` (seed fields plus timezone and priority)."""

    enable_privacy: bool = True
    enable_quality: bool = True
    enable_temporal: bool = True
    enable_visualizations: bool = True
    timezone: str = "UTC"
    priority: Priority = "normal"


class ExportFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What to include in an export; every field is optional, empty means "no restriction".

    Conversation-level: ``topics`` (topic ids), ``models``, ``sentiment`` (the
    conversation's label), ``conversation_ids``; message-level: the inclusive date range
    (in the analysis timezone) and ``roles``.
    """

    date_from: date | None = None
    date_to: date | None = None
    topics: list[str] = []
    roles: list[str] = []
    models: list[str] = []
    sentiment: list[str] = []
    conversation_ids: list[str] = []

    def is_empty(self) -> bool:
        """True when the filter restricts nothing."""
        return not (
            self.date_from
            or self.date_to
            or self.topics
            or self.roles
            or self.models
            or self.sentiment
            or self.conversation_ids
        )

    def has_message_criteria(self) -> bool:
        """True when the filter selects messages inside conversations (dates or roles)."""
        return bool(self.date_from or self.date_to or self.roles)


def export_filter_problem(flt: ExportFilter) -> str | None:
    """What is wrong with a well-typed filter, as a sentence, or None when it is usable."""
    for name in ("topics", "roles", "models", "sentiment", "conversation_ids"):
        values: list[str] = getattr(flt, name)
        if len(values) > MAX_FILTER_VALUES:
            return f"filter.{name} lists more than {MAX_FILTER_VALUES} values"
        if any(not value for value in values):
            return f"filter.{name} contains an empty value"
    bad_roles = sorted(set(flt.roles) - set(ROLES))
    if bad_roles:
        return f"filter.roles: unknown role(s) {', '.join(bad_roles)}; use {' or '.join(ROLES)}"
    bad_labels = sorted(set(flt.sentiment) - set(SENTIMENT_LABELS))
    if bad_labels:
        return (
            f"filter.sentiment: unknown label(s) {', '.join(bad_labels)}; "
            f"use {', '.join(SENTIMENT_LABELS)}"
        )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        return "filter.date_from is after filter.date_to"
    return None


class ExportOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Options of ``POST /api/export``, carried unchanged by the export job."""

    include_pii: bool = False
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)
    # A share-safe report (html and/or pdf only): counts and measures, no message text,
    # no titles; every count below ``min_cell_count`` shows as "< k".
    share_safe: bool = False
    min_cell_count: Annotated[int, msgspec.Meta(ge=2, le=1000)] = 5
