"""Truth: temporal figures on hand-made corpora, answers worked out from docs/results.md."""

from datetime import UTC, datetime

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.taxonomy import parse_taxonomy
from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_common.results import CalendarDay, LengthTrend


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _conversation(cid: str, *messages: tuple[str, str, datetime]) -> Conversation:
    """A conversation from (role, text, when) triples."""
    return Conversation(
        id=cid,
        messages=[
            Message(id=f"{cid}-m{i}", role=role, text=text, created_at=when)
            for i, (role, text, when) in enumerate(messages)
        ],
    )


def _temporal(corpus: Corpus, **options):
    results = analyze(corpus, EngineOptions(**options))
    assert results.temporal is not None
    return results


def test_weekly_counts_use_iso_weeks_in_the_requested_timezone() -> None:
    # New York is UTC-5 in winter. 2024-12-30 (Monday) starts ISO week 2025-W01.
    corpus = Corpus(
        conversations=[
            _conversation("a", ("user", "q", _utc(2024, 12, 29, 12))),  # Sun: 2024-W52
            _conversation(
                "b",
                ("user", "q", _utc(2024, 12, 30, 12)),  # Mon: 2025-W01
                ("assistant", "a", _utc(2024, 12, 30, 12, 1)),  # Mon: 2025-W01
            ),
            _conversation(
                "c",
                ("user", "q", _utc(2025, 1, 5, 12)),  # Sun: 2025-W01
                # 00:30 UTC on Monday 6 Jan is 19:30 on Sunday 5 Jan in New York.
                ("assistant", "a", _utc(2025, 1, 6, 0, 30)),
            ),
        ]
    )
    ny = _temporal(corpus, timezone="America/New_York").temporal
    assert ny.weekly == {"2024-W52": 1, "2025-W01": 4}
    assert ny.monthly == {"2024-12": 3, "2025-01": 2}
    utc = _temporal(corpus).temporal
    assert utc.weekly == {"2024-W52": 1, "2025-W01": 3, "2025-W02": 1}


def test_calendar_days_count_messages_and_distinct_conversations() -> None:
    # Tokyo is UTC+9: 14:30 UTC is 23:30 the same day, 15:30 UTC is 00:30 the next day.
    corpus = Corpus(
        conversations=[
            _conversation(
                "a",
                ("user", "q", _utc(2024, 3, 4, 1)),  # 03-04 10:00
                ("assistant", "a", _utc(2024, 3, 4, 1, 5)),  # 03-04
                ("user", "q", _utc(2024, 3, 4, 15, 30)),  # 03-05 00:30
            ),
            _conversation(
                "b",
                ("user", "q", _utc(2024, 3, 4, 14, 30)),  # 03-04 23:30
                ("assistant", "a", _utc(2024, 3, 6, 0)),  # 03-06 09:00
            ),
        ]
    )
    results = _temporal(corpus, timezone="Asia/Tokyo")
    assert results.temporal.calendar == [
        CalendarDay(date="2024-03-04", messages=3, conversations=2),
        CalendarDay(date="2024-03-05", messages=1, conversations=1),
        CalendarDay(date="2024-03-06", messages=1, conversations=1),
    ]
    [chart] = [c for c in results.charts if c.id == "calendar_heatmap"]
    assert chart.x == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert {s.name: s.values for s in chart.series} == {
        "messages": [3.0, 1.0, 1.0],
        "conversations": [2.0, 1.0, 1.0],
    }
    # The weekday x hour heatmap holds the same five messages.
    heatmap = results.temporal.heatmap
    assert (heatmap[0][10], heatmap[0][23], heatmap[1][0], heatmap[2][9]) == (2, 1, 1, 1)
    assert sum(map(sum, heatmap)) == 5


def test_message_length_trends_mean_words_per_month_and_role() -> None:
    corpus = Corpus(
        conversations=[
            _conversation(
                "jan",
                ("user", "one two three", _utc(2024, 1, 10)),
                ("assistant", "a b c d e", _utc(2024, 1, 10, 0, 1)),
                ("user", "four five", _utc(2024, 1, 20)),
            ),
            _conversation(
                "feb",
                ("user", "six", _utc(2024, 2, 3)),
                ("assistant", " ".join(["w"] * 10), _utc(2024, 2, 3, 0, 1)),
                ("assistant", "x y z w v", _utc(2024, 2, 3, 0, 2)),
            ),
        ]
    )
    results = _temporal(corpus)
    assert results.temporal.length_trends == [
        LengthTrend(period="2024-01", role="assistant", mean_words=5.0, messages=1),
        LengthTrend(period="2024-01", role="user", mean_words=2.5, messages=2),  # (3 + 2) / 2
        LengthTrend(period="2024-02", role="assistant", mean_words=7.5, messages=2),  # (10+5)/2
        LengthTrend(period="2024-02", role="user", mean_words=1.0, messages=1),
    ]
    [chart] = [c for c in results.charts if c.id == "message_length_over_time"]
    assert chart.x == ["2024-01", "2024-02"]
    assert {s.name: s.values for s in chart.series} == {
        "assistant": [5.0, 7.5],
        "user": [2.5, 1.0],
    }


def test_engagement_score_from_its_three_parts() -> None:
    # Active 1, 2, 3 and 6 Feb: 4 of a 6-day span, longest streak 3.
    # Sessions: 20 min, 10 min, 0 min and 30 min (a gap of exactly 30 min does not split).
    day = [
        [_utc(2024, 2, 1, 10), _utc(2024, 2, 1, 10, 20)],
        [_utc(2024, 2, 2, 10), _utc(2024, 2, 2, 10, 10)],
        [_utc(2024, 2, 3, 10)],
        [_utc(2024, 2, 6, 10), _utc(2024, 2, 6, 10, 30)],
    ]
    corpus = Corpus(
        conversations=[
            _conversation(f"d{i}", *((("user", "hi", when)) for when in stamps))
            for i, stamps in enumerate(day)
        ]
    )
    temporal = _temporal(corpus).temporal
    s = temporal.sessions
    assert (s.count, s.mean_minutes, s.median_minutes, s.longest_minutes) == (4, 15.0, 15.0, 30.0)
    streaks = temporal.streaks
    assert (streaks.longest_days, streaks.longest_start, streaks.longest_end) == (
        3,
        "2024-02-01",
        "2024-02-03",
    )
    assert (streaks.current_days, streaks.current_start) == (1, "2024-02-06")
    # 100 x (0.5 x 4/6 + 0.25 x 3/7 + 0.25 x 15/30) = 56.547...
    assert temporal.engagement_score == 56.55


def test_engagement_parts_are_capped() -> None:
    # Every day of a 7-day span active in one 90-minute session each: all three parts
    # are 1 (streak 7/7, session capped at 30 min), so the score is 100.
    corpus = Corpus(
        conversations=[
            _conversation(
                f"d{d}",
                ("user", "hi", _utc(2024, 4, 1 + d, 9)),
                ("user", "hi", _utc(2024, 4, 1 + d, 9, 30)),
                ("user", "hi", _utc(2024, 4, 1 + d, 10)),
                ("user", "hi", _utc(2024, 4, 1 + d, 10, 30)),
            )
            for d in range(7)
        ]
    )
    assert _temporal(corpus).temporal.engagement_score == 100.0


def test_topic_evolution_counts_a_conversation_in_its_first_month() -> None:
    taxonomy = parse_taxonomy(
        {
            "categories": [
                {"id": "cooking", "label": "Cooking", "keywords": ["recipe", "oven"]},
                {"id": "travel", "label": "Travel", "keywords": ["flight", "hotel"]},
            ]
        }
    )
    corpus = Corpus(
        conversations=[
            _conversation("c1", ("user", "a recipe for the oven", _utc(2024, 1, 15))),
            # Starts on 31 Jan, goes on into February: counted for January only.
            _conversation(
                "c2",
                ("user", "book a flight", _utc(2024, 1, 31, 23, 50)),
                ("user", "and a hotel", _utc(2024, 2, 1, 0, 10)),
            ),
            # Two hits each: both topics (share 0.5 each).
            _conversation("c3", ("user", "flight, hotel, recipe, oven", _utc(2024, 2, 10))),
            _conversation("c4", ("user", "recipe recipe", _utc(2024, 2, 12))),
        ]
    )
    results = _temporal(corpus, taxonomy=taxonomy)
    assert results.temporal.topic_evolution == {
        "2024-01": {"cooking": 1, "travel": 1},
        "2024-02": {"cooking": 2, "travel": 1},
    }
    by_id = {t.id: t for t in results.topics.taxonomy}
    assert by_id["cooking"].monthly == {"2024-01": 1, "2024-02": 2}
    assert by_id["travel"].monthly == {"2024-01": 1, "2024-02": 1}
    assert (by_id["cooking"].share, by_id["travel"].share) == (0.75, 0.5)
    # Monthly message counts follow each message instead.
    assert results.temporal.monthly == {"2024-01": 2, "2024-02": 3}
