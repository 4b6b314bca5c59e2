"""Result sections that compare assistants and models, and the usage estimate.

Part of :class:`convoscope_common.results.AnalysisResults` (``comparison``, ``usage``);
computed by :mod:`convoscope_common.aggregates.comparison` and ``.usage``.
"""

from __future__ import annotations

import msgspec


class _Result(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base of every result struct: JSON and msgpack carry every field."""


class CompareGroup(_Result):
    """One vendor, or one model of a vendor, possibly in one month.

    A reply belongs to its own model (the message's ``model``, else the conversation's;
    "<vendor>: model not in export" when neither says, as in claude.ai exports); a user
    message to the model of the reply that answered it. Failures, refusals and task
    completion are empty when the analysis ran without quality.
    """

    vendor: str
    model: str = ""  # "" on a vendor's row
    month: str = ""  # "YYYY-MM" on a monthly row, "" on an overall row
    conversations: int = 0  # conversations with at least one message of this group
    messages: int = 0
    replies: int = 0  # assistant messages
    mean_reply_words: float = 0.0
    median_reply_words: float = 0.0
    failures: int = 0
    failures_per_100_replies: float = 0.0
    failures_per_100_by_type: dict[str, float] = {}
    refusals: int = 0
    refusals_per_100_replies: float = 0.0
    tool_calls: int = 0
    replies_with_tools: int = 0
    # Mean VADER compound of the user message right after a reply (scored ones only).
    next_turn_sentiment: float | None = None
    next_turn_scored: int = 0
    # Conversations by task completion; a conversation counts for the model of most of
    # its replies (and in the month it started).
    task_completion: dict[str, int] = {}
    estimated_tokens: int = 0  # an estimate (see ``usage``), input + output


class Comparison(_Result):
    """Vendors and models side by side, overall and by month."""

    vendors: list[CompareGroup] = []
    models: list[CompareGroup] = []
    # One row per vendor and month, then one per model and month.
    monthly: list[CompareGroup] = []
    quality_measured: bool = True
    # The change points the temporal analysis found (corpus-wide), for the timeline.
    change_points_dates: list[str] = []


class UsageCell(_Result):
    """Estimated tokens (never a bill): what was written, not what the context resent."""

    messages: int = 0
    input_tokens: int = 0  # user messages and their attachments' text
    output_tokens: int = 0  # assistant messages and their readable reasoning
    estimated_cost: float | None = None  # only with a price for this model or vendor


class PriceEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Prices per million tokens (configuration, never a fact shipped with the code)."""

    input: float = 0.0
    output: float = 0.0


class PriceTable(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``CONVOSCOPE_PRICE_TABLE``: prices by model name, or by vendor as a fallback."""

    currency: str = "USD"
    prices: dict[str, PriceEntry] = {}


class Usage(_Result):
    """The usage estimate: tokens per message approximated, per vendor, model and month."""

    estimate: bool = True  # always: labelled as an estimate wherever shown
    method: str = ""
    currency: str | None = None  # set when a price table was configured
    total: UsageCell = msgspec.field(default_factory=UsageCell)
    by_vendor: dict[str, UsageCell] = {}
    by_model: dict[str, UsageCell] = {}
    by_month: dict[str, UsageCell] = {}
    # Models (or vendors) with tokens but no price in the configured table.
    unpriced: list[str] = []
