"""The "YYYY-MM" row key of each message, formatted once per month of a run."""

from __future__ import annotations

from convoscope_common.aggregates.prepared import PreparedConversation, PreparedMessage


class MonthKeys:
    """``local.strftime("%Y-%m")`` of prepared messages, formatted once per (year, month):
    a tally meets a few dozen months in tens of thousands of messages, and ``strftime``
    costs microseconds where a dict lookup costs a tenth of one."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], str] = {}

    def of(self, pm: PreparedMessage, item: PreparedConversation) -> str | None:
        """The message's local month, else its conversation's (no time known)."""
        local = pm.local
        if local is None:
            return item.month
        key = (local.year, local.month)
        month = self._known.get(key)
        if month is None:
            month = self._known[key] = local.strftime("%Y-%m")
        return month
