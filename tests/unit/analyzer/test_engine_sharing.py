"""Engine memory savings that must not change any value: UTC locals, shared date strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_common.aggregates.summary import message_index
from convoscope_common.corpus import Conversation, Corpus, Message


def _corpus() -> Corpus:
    start = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    messages = [
        Message(id=f"m{i}", role="user", created_at=start + timedelta(hours=i), text="hi")
        for i in range(4)
    ]
    naive = Message(id="naive", role="user", created_at=datetime(2025, 3, 2, 8), text="x")
    return Corpus(conversations=[Conversation(id="c1", messages=[*messages, naive])])


def test_utc_locals_are_the_timestamps_themselves_and_match_zoneinfo() -> None:
    corpus = _corpus()
    [fast] = prepare_corpus(corpus, resolve_timezone("UTC"))
    [reference] = prepare_corpus(corpus, ZoneInfo("UTC"))
    assert fast.messages[0].local is corpus.conversations[0].messages[0].created_at
    for a, b in zip(fast.messages, reference.messages, strict=True):
        assert a.local is not None and b.local is not None
        assert (a.local, a.local.hour, a.local.weekday()) == (
            b.local,
            b.local.hour,
            b.local.weekday(),
        )
        assert a.local.isoformat() == b.local.isoformat()
    assert fast.month == reference.month == "2025-03"


def test_message_index_shares_one_string_per_day() -> None:
    prepared = prepare_corpus(_corpus(), resolve_timezone("Europe/Berlin"))
    records = message_index(prepared)
    # 23:30 UTC on 1 March is already 2 March in Berlin: every message is on that day.
    assert [r.date for r in records] == ["2025-03-02"] * 5
    assert all(r.date is records[0].date for r in records)
