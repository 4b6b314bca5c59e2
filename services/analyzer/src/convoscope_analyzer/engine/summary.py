"""Corpus-wide counts and the drill-down index: the shared aggregates, re-exported."""

from __future__ import annotations

from convoscope_common.aggregates.summary import message_index, summarize

__all__ = ["message_index", "summarize"]
