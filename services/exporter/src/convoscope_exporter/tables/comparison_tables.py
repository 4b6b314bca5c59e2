"""Tables of the comparison and usage sections: vendors and models side by side, and the
usage estimate (tokens and, with a configured price table, an estimated cost)."""

from __future__ import annotations

from convoscope_common.comparison_types import CompareGroup, UsageCell
from convoscope_common.results import FAILURE_TYPES, AnalysisResults
from convoscope_exporter.tables.model import Cell, Column, Table, table_of


def _by_type(kind: str) -> Column[CompareGroup]:
    return Column(
        f"{kind}_per_100",
        "number",
        f"Failures of type {kind} per 100 replies",
        lambda g: g.failures_per_100_by_type.get(kind, 0.0),
    )


COMPARISON_COLUMNS: tuple[Column[CompareGroup], ...] = (
    Column("vendor", "string", "claude or chatgpt", lambda g: g.vendor),
    Column("model", "string", "Model (empty: the whole vendor)", lambda g: g.model),
    Column("month", "string", "YYYY-MM (empty: every month)", lambda g: g.month),
    Column(
        "conversations",
        "integer",
        "Conversations with messages of the row",
        lambda g: g.conversations,
    ),
    Column(
        "messages",
        "integer",
        "Messages (a prompt counts for the model that answered)",
        lambda g: g.messages,
    ),
    Column("replies", "integer", "Assistant replies", lambda g: g.replies),
    Column("mean_reply_words", "number", "Mean words per reply", lambda g: g.mean_reply_words),
    Column(
        "median_reply_words", "number", "Median words per reply", lambda g: g.median_reply_words
    ),
    Column("failures", "integer", "Assistant failures found", lambda g: g.failures),
    Column(
        "failures_per_100_replies",
        "number",
        "Failures per 100 replies",
        lambda g: g.failures_per_100_replies,
    ),
    Column("refusals", "integer", "Replies that refused", lambda g: g.refusals),
    Column(
        "refusals_per_100_replies",
        "number",
        "Refusals per 100 replies",
        lambda g: g.refusals_per_100_replies,
    ),
    Column("tool_calls", "integer", "Tool calls in replies", lambda g: g.tool_calls),
    Column(
        "replies_with_tools", "integer", "Replies that used a tool", lambda g: g.replies_with_tools
    ),
    Column(
        "next_turn_sentiment",
        "number",
        "Mean sentiment (VADER compound) of the user message right after a reply",
        lambda g: g.next_turn_sentiment,
    ),
    Column(
        "next_turn_scored",
        "integer",
        "User messages behind next_turn_sentiment",
        lambda g: g.next_turn_scored,
    ),
    Column(
        "completed",
        "integer",
        "Conversations completed",
        lambda g: g.task_completion.get("completed", 0),
    ),
    Column(
        "in_progress",
        "integer",
        "Conversations in progress",
        lambda g: g.task_completion.get("in_progress", 0),
    ),
    Column(
        "abandoned",
        "integer",
        "Conversations abandoned",
        lambda g: g.task_completion.get("abandoned", 0),
    ),
    Column(
        "blocked", "integer", "Conversations blocked", lambda g: g.task_completion.get("blocked", 0)
    ),
    Column(
        "estimated_tokens",
        "integer",
        "Tokens, estimated (not counted by a tokenizer)",
        lambda g: g.estimated_tokens,
    ),
    *(_by_type(kind) for kind in FAILURE_TYPES),
)


def comparison_table(results: AnalysisResults) -> Table:
    """Vendors, then models, then both by month."""
    section = results.comparison
    rows = [] if section is None else [*section.vendors, *section.models, *section.monthly]
    return table_of(
        "comparison",
        "Assistants and models compared, overall and by month",
        COMPARISON_COLUMNS,
        rows,
    )


_UsageRow = tuple[str, str, UsageCell]

USAGE_COLUMNS: tuple[Column[_UsageRow], ...] = (
    Column("dimension", "string", "total, vendor, model or month", lambda r: r[0]),
    Column("key", "string", "The vendor, model or month", lambda r: r[1]),
    Column("messages", "integer", "Messages", lambda r: r[2].messages),
    Column(
        "estimated_input_tokens",
        "integer",
        "Estimated tokens the user wrote",
        lambda r: r[2].input_tokens,
    ),
    Column(
        "estimated_output_tokens",
        "integer",
        "Estimated tokens the assistant wrote",
        lambda r: r[2].output_tokens,
    ),
    Column(
        "estimated_cost",
        "number",
        "Estimated cost from the configured price table (empty: no price)",
        lambda r: r[2].estimated_cost,
    ),
)


def usage_rows(results: AnalysisResults) -> list[_UsageRow]:
    """(dimension, key, cell) rows of the usage estimate."""
    usage = results.usage
    if usage is None:
        return []
    rows: list[_UsageRow] = [("total", "", usage.total)]
    for dimension, cells in (
        ("vendor", usage.by_vendor),
        ("model", usage.by_model),
        ("month", usage.by_month),
    ):
        rows += [(dimension, key, cell) for key, cell in cells.items()]
    return rows


def usage_table(results: AnalysisResults) -> Table:
    """The usage estimate, one row per total, vendor, model and month."""
    currency = results.usage.currency if results.usage else None
    unit = f" (cost in {currency})" if currency else ""
    return table_of(
        "usage_estimate",
        f"Usage estimate: tokens approximated, not counted{unit}",
        USAGE_COLUMNS,
        usage_rows(results),
    )


def cells_of(table: Table) -> list[list[Cell]]:
    """The rows of a table (for renderers that need only the values)."""
    return table.rows
