"""Activity over time in the analysis timezone: buckets, sessions, streaks, trends."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from statistics import mean, median

import msgspec

from convoscope_common.aggregates.changepoints import mean_shifts
from convoscope_common.aggregates.localtime import WEEKDAYS, week_key
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
    return evolution_by_month({c.id: c.month for c in conversations}, assignments)


def evolution_by_month(
    months: Mapping[str, str | None], assignments: list[ConversationTopics] | None
) -> dict[str, dict[str, int]]:
    """Month -> topic id -> conversations, ``months`` mapping conversation id -> month."""
    if not assignments:
        return {}
    evolution: dict[str, Counter[str]] = defaultdict(Counter)
    for assignment in assignments:
        month = months.get(assignment.conversation_id)
        if month:
            for score in assignment.topics:
                evolution[month][score.topic_id] += 1
    return {m: dict(sorted(c.items())) for m, c in sorted(evolution.items())}


class TemporalCounts(msgspec.Struct, kw_only=True):
    """What :func:`temporal` counts over some conversations, before the derived figures.

    Counts of disjoint runs of conversations merge with :func:`merge_temporal_counts`
    (a conversation lies in one run only, so conversations per day add up).
    """

    daily: dict[str, int] = {}  # "YYYY-MM-DD" -> messages
    weekly: dict[str, int] = {}
    monthly: dict[str, int] = {}
    heatmap: list[list[int]] = msgspec.field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    day_conversations: dict[str, int] = {}  # "YYYY-MM-DD" -> conversations active that day
    # month -> role -> [sum of words, messages] (a mean of integers is exact from these)
    lengths: dict[str, dict[str, list[int]]] = {}
    times: list[float] = []  # epoch seconds of every timed message (unsorted)


def count_temporal(
    conversations: list[PreparedConversation], tick: Callable[[int], None] | None = None
) -> TemporalCounts:
    """The counts behind :func:`temporal`; ``tick`` gets each conversation's message count."""
    counts = TemporalCounts()
    daily = counts.daily
    heatmap = counts.heatmap
    day_conversations = counts.day_conversations
    times = counts.times
    # (month, role) -> [words, messages], nested by month at the end (first-seen order).
    lengths: dict[tuple[str, str], list[int]] = {}
    for item in conversations:
        if tick is not None:
            tick(len(item.messages))
        days: set[str] = set()
        for pm in item.messages:
            local, day, month = pm.local, pm.day, pm.month
            if local is None or day is None or month is None:
                continue  # no time (the three are set together)
            daily[day] = daily.get(day, 0) + 1
            heatmap[local.weekday()][local.hour] += 1
            days.add(day)
            key = (month, pm.message.role)
            pair = lengths.get(key)
            if pair is None:
                pair = lengths[key] = [0, 0]
            pair[0] += pm.words
            pair[1] += 1
            times.append(local.timestamp())
        for day in days:
            day_conversations[day] = day_conversations.get(day, 0) + 1
    # A day lies in one week and one month: their counts are the sums of their days'
    # (keys in first-seen order, as the days are).
    weekly = counts.weekly
    monthly = counts.monthly
    for day, n in daily.items():
        week = week_key(date.fromisoformat(day))
        weekly[week] = weekly.get(week, 0) + n
        month = day[:7]  # month_key of the day ("YYYY-MM-DD" always has a 4-digit year)
        monthly[month] = monthly.get(month, 0) + n
    for (month, role), pair in lengths.items():
        counts.lengths.setdefault(month, {})[role] = pair
    return counts


def merge_temporal_counts(parts: list[TemporalCounts]) -> TemporalCounts:
    """The counts of disjoint runs of conversations as one."""
    merged = TemporalCounts()
    for part in parts:
        for into, add in (
            (merged.daily, part.daily),
            (merged.weekly, part.weekly),
            (merged.monthly, part.monthly),
            (merged.day_conversations, part.day_conversations),
        ):
            for key, n in add.items():
                into[key] = into.get(key, 0) + n
        for d in range(7):
            for h in range(24):
                merged.heatmap[d][h] += part.heatmap[d][h]
        for month, roles in part.lengths.items():
            for role, (words, n) in roles.items():
                pair = merged.lengths.setdefault(month, {}).setdefault(role, [0, 0])
                pair[0] += words
                pair[1] += n
        merged.times.extend(part.times)
    return merged


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
    return temporal_from_counts(
        count_temporal(conversations, tick),
        timezone,
        evolution=topic_evolution(conversations, assignments),
        sentiment_monthly=sentiment_monthly,
        session_gap_minutes=session_gap_minutes,
    )


def temporal_from_counts(
    counts: TemporalCounts,
    timezone: str,
    *,
    evolution: dict[str, dict[str, int]],
    sentiment_monthly: Mapping[str, float] | None = None,
    session_gap_minutes: int = 30,
) -> Temporal:
    """The temporal section from (merged) :func:`count_temporal` counts."""
    daily: Counter[date] = Counter({date.fromisoformat(day): n for day, n in counts.daily.items()})
    heatmap = [list(row) for row in counts.heatmap]
    times = sorted(counts.times)
    days = sorted(daily)
    hours = [sum(heatmap[d][h] for d in range(7)) for h in range(24)]
    weekday_totals = [sum(row) for row in heatmap]
    sessions = sessions_of(times, session_gap_minutes)
    streaks = streaks_of(days)
    trends = [
        (month, role, words, n)
        for month, roles in counts.lengths.items()
        for role, (words, n) in roles.items()
    ]
    return Temporal(
        timezone=timezone,
        date_range=[days[0].isoformat(), days[-1].isoformat()] if days else [],
        daily={d.isoformat(): daily[d] for d in days},
        weekly=dict(sorted(counts.weekly.items())),
        monthly=dict(sorted(counts.monthly.items())),
        heatmap=heatmap,
        calendar=[
            CalendarDay(
                date=d.isoformat(),
                messages=daily[d],
                conversations=counts.day_conversations.get(d.isoformat(), 0),
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
        topic_evolution=evolution,
        sentiment_evolution=dict(sorted((sentiment_monthly or {}).items())),
        length_trends=[
            # The mean of integers as statistics.mean gives it: the exact quotient, rounded.
            LengthTrend(period=month, role=role, mean_words=round(words / n, 2), messages=n)
            for month, role, words, n in sorted(trends)
        ],
        change_points=_change_points(daily),
        engagement_score=_engagement(
            len(days), (days[-1] - days[0]).days + 1 if days else 0, streaks.longest_days, sessions
        ),
    )
