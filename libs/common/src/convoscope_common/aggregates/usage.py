"""The ``usage`` section: estimated tokens per vendor, model and month, and an estimated
cost when the operator configured a price table (no price is shipped as a fact)."""

from __future__ import annotations

from collections import defaultdict

from convoscope_common.aggregates.attribution import message_models
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.aggregates.tokens import TOKENS_METHOD, message_tokens
from convoscope_common.comparison_types import PriceEntry, PriceTable, Usage, UsageCell

_PER = 1_000_000  # prices are per million tokens


def _add(cell: UsageCell, sent: int, produced: int) -> None:
    cell.messages += 1
    cell.input_tokens += sent
    cell.output_tokens += produced


def _cost(cell: UsageCell, price: PriceEntry) -> float:
    return cell.input_tokens * price.input / _PER + cell.output_tokens * price.output / _PER


def estimate_usage(
    conversations: list[PreparedConversation], prices: PriceTable | None = None
) -> Usage:
    """Tokens of every message (an estimate: :mod:`.tokens`), summed by vendor, model and
    month; with ``prices``, the cost of each model (its own price, else its vendor's)."""
    total = UsageCell()
    by_vendor: dict[str, UsageCell] = defaultdict(UsageCell)
    by_model: dict[str, UsageCell] = defaultdict(UsageCell)
    by_month: dict[str, UsageCell] = defaultdict(UsageCell)
    # Cost is computed per (model, month) so months get the right model's price.
    by_model_month: dict[tuple[str, str, str], UsageCell] = defaultdict(UsageCell)
    for item in conversations:
        vendor = item.conversation.source
        for pm, model in zip(item.messages, message_models(item), strict=True):
            sent, produced = message_tokens(pm.message, vendor)
            month = pm.local.strftime("%Y-%m") if pm.local is not None else item.month
            cells = [total, by_vendor[vendor], by_model[model]]
            if month:
                cells.append(by_month[month])
            cells.append(by_model_month[(vendor, model, month or "")])
            for cell in cells:
                _add(cell, sent, produced)
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
