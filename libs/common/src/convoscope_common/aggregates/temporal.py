"""Activity over time in the analysis timezone: buckets, sessions, streaks, trends."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from statistics import mean, median

from convoscope_common.aggregates.changepoints import mean_shifts
from convoscope_common.aggregates.localtime import WEEKDAYS, month_key, week_key
from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.results import (
    CalendarDay,
    ChangePoint,
    ConversationTopics,
    LengthTrend,
    SessionStats,
    Streaks,
    Temporal,
)

# Peak hours and busiest weekdays listed.
TOP_N = 3


def streaks_of(days: list[date]) -> Streaks:
    """Longest run of consecutive active days, and the run ending on the last active day."""
    if not days:
        return Streaks()
    runs: list[tuple[date, date]] = []
    start = prev = days[0]
    for day in days[1:]:
        if day - prev != timedelta(days=1):
            runs.append((start, prev))
            start = day
        prev = day
    runs.append((start, prev))
    longest = max(runs, key=lambda r: ((r[1] - r[0]).days, -r[0].toordinal()))
    current = runs[-1]
    return Streaks(
        longest_days=(longest[1] - longest[0]).days + 1,
        longest_start=longest[0].isoformat(),
        longest_end=longest[1].isoformat(),
        current_days=(current[1] - current[0]).days + 1,
        current_start=current[0].isoformat(),
    )


def sessions_of(times: list[float], gap_minutes: int) -> SessionStats:
    """Split the sorted timestamps (epoch seconds) wherever the gap exceeds ``gap_minutes``."""
    if not times:
        return SessionStats(gap_minutes=gap_minutes)
    durations: list[float] = []
    start = prev = times[0]
    for t in times[1:]:
        if t - prev > gap_minutes * 60:
            durations.append((prev - start) / 60)
            start = t
        prev = t
    durations.append((prev - start) / 60)
    return SessionStats(
        count=len(durations),
        gap_minutes=gap_minutes,
        mean_minutes=round(mean(durations), 2),
        median_minutes=round(float(median(durations)), 2),
        longest_minutes=round(max(durations), 2),
    )


def _weeks_between(first: date, last: date) -> list[date]:
    start = first - timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        weeks.append(start)
        start += timedelta(days=7)
    return weeks


def _change_points(daily: Counter[date]) -> list[ChangePoint]:
    """Mean shifts in weekly message counts (weeks without activity count as 0)."""
    if not daily:
        return []
    weeks = _weeks_between(min(daily), max(daily))
    per_week: Counter[date] = Counter()
    for day, n in daily.items():
        per_week[day - timedelta(days=day.weekday())] += n
    series = [float(per_week.get(w, 0)) for w in weeks]
    return [
        ChangePoint(
            date=weeks[shift.index].isoformat(),
            metric="weekly_messages",
            before=round(shift.before, 2),
            after=round(shift.after, 2),
            direction="up" if shift.after > shift.before else "down",
        )
        for shift in mean_shifts(series)
    ]


def _engagement(
    active_days: int, span_days: int, longest_streak: int, sessions: SessionStats
) -> float:
    """0..100: how regularly (active share of the span), how sustained (streak) and how
    deeply (session length) the user works with the assistant."""
    if not active_days:
        return 0.0
    regularity = active_days / span_days
    sustained = min(1.0, longest_streak / 7)
    depth = min(1.0, sessions.mean_minutes / 30)
    return round(100 * (0.5 * regularity + 0.25 * sustained + 0.25 * depth), 2)


def topic_evolution(
    conversations: list[PreparedConversation], assignments: list[ConversationTopics] | None
) -> dict[str, dict[str, int]]:
    """Month -> topic id -> conversations assigned to it (by the conversation's month)."""
    if not assignments:
        return {}
    months = {c.id: c.month for c in conversations}
    evolution: dict[str, Counter[str]] = defaultdict(Counter)
    for assignment in assignments:
        month = months.get(assignment.conversation_id)
        if month:
            for score in assignment.topics:
                evolution[month][score.topic_id] += 1
    return {m: dict(sorted(c.items())) for m, c in sorted(evolution.items())}


def temporal(
    conversations: list[PreparedConversation],
    timezone: str,
    *,
    assignments: list[ConversationTopics] | None = None,
    sentiment_monthly: Mapping[str, float] | None = None,
    session_gap_minutes: int = 30,
    tick: Callable[[int], None] | None = None,
) -> Temporal:
    """Activity per day/week/month, heatmaps, sessions, streaks, trends, change points.

    ``tick`` is called with each conversation's message count (progress, checkpoints).
    """
    daily: Counter[date] = Counter()
    weekly: Counter[str] = Counter()
    monthly: Counter[str] = Counter()
    heatmap = [[0] * 24 for _ in range(7)]
    day_conversations: dict[date, set[str]] = defaultdict(set)
    lengths: dict[tuple[str, str], list[int]] = defaultdict(list)
    times: list[float] = []
    for item in conversations:
        if tick is not None:
            tick(len(item.messages))
        for pm in item.messages:
            local = pm.local
            if local is None:
                continue
            day = local.date()
            daily[day] += 1
            weekly[week_key(local)] += 1
            monthly[month_key(local)] += 1
            heatmap[local.weekday()][local.hour] += 1
            day_conversations[day].add(item.id)
            lengths[(month_key(local), pm.message.role)].append(pm.words)
            times.append(local.timestamp())
    times.sort()
    days = sorted(daily)
    hours = [sum(heatmap[d][h] for d in range(7)) for h in range(24)]
    weekday_totals = [sum(row) for row in heatmap]
    sessions = sessions_of(times, session_gap_minutes)
    streaks = streaks_of(days)
    return Temporal(
        timezone=timezone,
        date_range=[days[0].isoformat(), days[-1].isoformat()] if days else [],
        daily={d.isoformat(): daily[d] for d in days},
        weekly=dict(sorted(weekly.items())),
        monthly=dict(sorted(monthly.items())),
        heatmap=heatmap,
        calendar=[
            CalendarDay(
                date=d.isoformat(), messages=daily[d], conversations=len(day_conversations[d])
            )
            for d in days
        ],
        peak_hours=[h for h in sorted(range(24), key=lambda h: (-hours[h], h)) if hours[h]][:TOP_N],
        busiest_weekdays=[
            WEEKDAYS[d]
            for d in sorted(range(7), key=lambda d: (-weekday_totals[d], d))
            if weekday_totals[d]
        ][:TOP_N],
        sessions=sessions,
        streaks=streaks,
        topic_evolution=topic_evolution(conversations, assignments),
        sentiment_evolution=dict(sorted((sentiment_monthly or {}).items())),
        length_trends=[
            LengthTrend(
                period=month, role=role, mean_words=round(mean(values), 2), messages=len(values)
            )
            for (month, role), values in sorted(lengths.items())
        ],
        change_points=_change_points(daily),
        engagement_score=_engagement(
            len(days), (days[-1] - days[0]).days + 1 if days else 0, streaks.longest_days, sessions
        ),
    )
