"""Activity over time in the requested timezone (the shared aggregate, with progress)."""

from __future__ import annotations

from collections.abc import Mapping

from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.aggregates.temporal import temporal
from convoscope_common.results import ConversationTopics, Temporal

__all__ = ["analyze_temporal"]


def analyze_temporal(
    conversations: list[PreparedConversation],
    timezone: str,
    tracker: ProgressTracker,
    *,
    assignments: list[ConversationTopics] | None = None,
    sentiment_monthly: Mapping[str, float] | None = None,
    session_gap_minutes: int = 30,
) -> Temporal:
    """Activity per day/week/month, heatmaps, sessions, streaks, trends, change points."""
    return temporal(
        conversations,
        timezone,
        assignments=assignments,
        sentiment_monthly=sentiment_monthly,
        session_gap_minutes=session_gap_minutes,
        tick=tracker.tick,
    )
