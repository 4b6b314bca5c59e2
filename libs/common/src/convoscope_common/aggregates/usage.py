"""The ``usage`` section: estimated tokens per vendor, model and month, and an estimated
cost when the operator configured a price table (no price is shipped as a fact)."""

from __future__ import annotations

from collections import defaultdict

from convoscope_common.aggregates.attribution import message_usage
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.aggregates.tokens import TOKENS_METHOD
from convoscope_common.comparison_types import PriceEntry, PriceTable, Usage, UsageCell

_PER = 1_000_000  # prices are per million tokens


def _cost(cell: UsageCell, price: PriceEntry) -> float:
    return cell.input_tokens * price.input / _PER + cell.output_tokens * price.output / _PER


_SEP = "\x1f"  # joins (vendor, model, month) into one key


def tally_usage(conversations: list[PreparedConversation]) -> dict[str, UsageCell]:
    """Tokens of these conversations' messages per (vendor, model, month), in first-seen
    order: every other figure of the section is a sum of these cells."""
    cells: dict[str, UsageCell] = {}
    # The cell of each (vendor, model, month) met, without joining its key per message.
    cell_of: dict[tuple[str, str, str | None], UsageCell] = {}
    for item in conversations:
        vendor = item.conversation.source
        for pm, (model, sent, produced) in zip(item.messages, message_usage(item), strict=True):
            # A message without a time counts in its conversation's month.
            parts = (vendor, model, pm.month if pm.month is not None else item.month)
            cell = cell_of.get(parts)
            if cell is None:
                key = _SEP.join((vendor, model, parts[2] or ""))
                cell = cells.get(key)
                if cell is None:
                    cell = cells[key] = UsageCell()
                cell_of[parts] = cell
            cell.messages += 1
            cell.input_tokens += sent
            cell.output_tokens += produced
    return cells


def merge_usage(parts: list[dict[str, UsageCell]]) -> dict[str, UsageCell]:
    """The cells of consecutive runs of conversations as one (first-seen order kept)."""
    merged: dict[str, UsageCell] = {}
    for part in parts:
        for key, cell in part.items():
            into = merged.get(key)
            if into is None:
                into = merged[key] = UsageCell()
            into.messages += cell.messages
            into.input_tokens += cell.input_tokens
            into.output_tokens += cell.output_tokens
    return merged


def usage_from_cells(cells: dict[str, UsageCell], prices: PriceTable | None = None) -> Usage:
    """The usage section from (merged) cells; with ``prices``, the cost of each model (its
    own price, else its vendor's)."""
    total = UsageCell()
    by_vendor: dict[str, UsageCell] = defaultdict(UsageCell)
    by_model: dict[str, UsageCell] = defaultdict(UsageCell)
    by_month: dict[str, UsageCell] = defaultdict(UsageCell)
    # Cost is computed per (model, month) so months get the right model's price.
    by_model_month: dict[tuple[str, str, str], UsageCell] = {}
    for key, cell in cells.items():
        vendor, model, month = key.split(_SEP)
        targets = [total, by_vendor[vendor], by_model[model]]
        if month:
            targets.append(by_month[month])
        for into in targets:
            into.messages += cell.messages
            into.input_tokens += cell.input_tokens
            into.output_tokens += cell.output_tokens
        by_model_month[(vendor, model, month)] = cell
    usage = Usage(
        method=TOKENS_METHOD,
        total=total,
        by_vendor=dict(sorted(by_vendor.items())),
        by_model=dict(sorted(by_model.items())),
        by_month=dict(sorted(by_month.items())),
    )
    if prices is not None:
        _price(usage, prices, by_model_month)
    return usage


def estimate_usage(
    conversations: list[PreparedConversation], prices: PriceTable | None = None
) -> Usage:
    """Tokens of every message (an estimate: :mod:`.tokens`), summed by vendor, model and
    month; with ``prices``, the cost of each model (its own price, else its vendor's)."""
    return usage_from_cells(tally_usage(conversations), prices)


def _price(
    usage: Usage, prices: PriceTable, by_model_month: dict[tuple[str, str, str], UsageCell]
) -> None:
    usage.currency = prices.currency
    unpriced: set[str] = set()
    costs: dict[str, float] = defaultdict(float)
    for (vendor, model, month), cell in by_model_month.items():
        price = prices.prices.get(model) or prices.prices.get(vendor)
        if price is None:
            unpriced.add(model)
            continue
        cost = _cost(cell, price)
        for key in (f"vendor:{vendor}", f"model:{model}", f"month:{month}", "total"):
            costs[key] += cost
    rounded = {k: round(v, 6) for k, v in costs.items()}
    usage.total.estimated_cost = rounded.get("total", 0.0)
    for vendor, cell in usage.by_vendor.items():
        cell.estimated_cost = rounded.get(f"vendor:{vendor}")
    for model, cell in usage.by_model.items():
        cell.estimated_cost = rounded.get(f"model:{model}")
    for month, cell in usage.by_month.items():
        cell.estimated_cost = rounded.get(f"month:{month}", 0.0)
    usage.unpriced = sorted(unpriced)
