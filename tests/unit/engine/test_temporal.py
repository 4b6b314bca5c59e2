from datetime import UTC, datetime, timedelta

import pytest

from convoscope_analyzer.engine import EngineOptions, InvalidTimezoneError, analyze
from convoscope_common.aggregates.changepoints import mean_shifts
from convoscope_common.corpus import Conversation, Corpus, Message


def _at(*stamps: datetime) -> Corpus:
    return Corpus(
        conversations=[
            Conversation(
                id=f"c{i}",
                messages=[Message(id=f"m{i}", role="user", text="hello", created_at=when)],
            )
            for i, when in enumerate(stamps)
        ]
    )


def test_heatmap_in_new_york_shifts_day_and_hour() -> None:
    # 03:30 UTC on Monday 1 Jan 2024 is 22:30 on Sunday 31 Dec in New York (EST, UTC-5).
    corpus = _at(datetime(2024, 1, 1, 3, 30, tzinfo=UTC), datetime(2024, 1, 1, 15, 0, tzinfo=UTC))
    temporal = analyze(corpus, EngineOptions(timezone="America/New_York")).temporal
    assert temporal is not None
    assert len(temporal.heatmap) == 7 and all(len(row) == 24 for row in temporal.heatmap)
    assert temporal.heatmap[6][22] == 1  # Sunday 22:00
    assert temporal.heatmap[0][10] == 1  # Monday 10:00
    assert sum(map(sum, temporal.heatmap)) == 2
    assert temporal.daily == {"2023-12-31": 1, "2024-01-01": 1}
    assert temporal.date_range == ["2023-12-31", "2024-01-01"]
    assert temporal.monthly == {"2023-12": 1, "2024-01": 1}
    assert temporal.timezone == "America/New_York"


def test_naive_timestamps_are_utc() -> None:
    corpus = _at(datetime(2024, 6, 1, 23, 30))  # naive
    temporal = analyze(corpus, EngineOptions(timezone="Europe/Berlin")).temporal
    assert temporal is not None
    assert temporal.daily == {"2024-06-02": 1}  # 01:30 CEST next day
    assert temporal.heatmap[6][1] == 1


def test_streaks_longest_and_current_relative_to_last_activity() -> None:
    base = datetime(2024, 2, 1, 12, tzinfo=UTC)
    days = [0, 1, 2, 3, 6, 10, 11]  # runs: 4 days, 1 day, 2 days
    temporal = analyze(_at(*(base + timedelta(days=d) for d in days)), EngineOptions()).temporal
    assert temporal is not None
    s = temporal.streaks
    assert (s.longest_days, s.longest_start, s.longest_end) == (4, "2024-02-01", "2024-02-04")
    assert (s.current_days, s.current_start) == (2, "2024-02-11")


def test_sessions_split_on_gap() -> None:
    base = datetime(2024, 2, 1, 12, tzinfo=UTC)
    offsets = [0, 10, 20, 120, 125]  # minutes: session of 20 min, then one of 5 min
    temporal = analyze(
        _at(*(base + timedelta(minutes=m) for m in offsets)), EngineOptions()
    ).temporal
    assert temporal is not None
    assert temporal.sessions.count == 2
    assert temporal.sessions.longest_minutes == 20.0
    assert temporal.sessions.mean_minutes == 12.5


def test_peak_hours_and_busiest_weekdays() -> None:
    base = datetime(2024, 3, 5, 9, tzinfo=UTC)  # Tuesday
    stamps = [
        base,
        base + timedelta(minutes=5),
        base + timedelta(hours=5),
        base + timedelta(days=1),
    ]
    temporal = analyze(_at(*stamps), EngineOptions()).temporal
    assert temporal is not None
    assert temporal.peak_hours == [9, 14]
    assert temporal.busiest_weekdays == ["Tuesday", "Wednesday"]


def test_invalid_timezone_is_typed_error() -> None:
    with pytest.raises(InvalidTimezoneError):
        analyze(_at(datetime(2024, 1, 1, tzinfo=UTC)), EngineOptions(timezone="Mars/Olympus"))


def test_mean_shift_found_where_level_changes() -> None:
    series = [2.0, 3.0, 2.0, 3.0, 2.0, 3.0, 20.0, 21.0, 19.0, 20.0, 22.0, 20.0]
    shifts = mean_shifts(series)
    assert [s.index for s in shifts] == [6]
    assert shifts[0].before == 2.5
    assert shifts[0].after == pytest.approx(122 / 6)


def test_no_change_point_in_flat_noise() -> None:
    assert mean_shifts([5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0]) == []
