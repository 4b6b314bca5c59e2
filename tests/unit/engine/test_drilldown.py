from datetime import UTC, datetime

import msgspec
import pytest

from convoscope_analyzer.engine import (
    DrilldownQuery,
    EngineOptions,
    InvalidDrilldownQueryError,
    analyze,
    drilldown,
)

T1 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # Monday
T2 = datetime(2024, 4, 6, 21, 0, tzinfo=UTC)  # Saturday


@pytest.fixture
def results(make_conversation, corpus_of):
    return analyze(
        corpus_of(
            make_conversation(
                "code",
                ("user", "My python function has a bug"),
                ("assistant", "Use foo()."),
                ("user", "That's wrong, this is terrible and awful."),
                start=T1,
            ),
            make_conversation(
                "food",
                ("user", "A recipe for pasta sauce with garlic, I love it, wonderful!"),
                ("assistant", "Sure."),
                start=T2,
            ),
        ),
        EngineOptions(),
    )


def test_by_topic(results) -> None:
    r = drilldown(results, DrilldownQuery(topic_id="cooking"))
    assert r.conversation_ids == ["food"]
    assert r.message_ids == ["food-m0", "food-m1"]


def test_by_failure_type_and_severity(results) -> None:
    r = drilldown(results, DrilldownQuery(failure_type="accuracy_error", severity="high"))
    assert (r.conversation_ids, r.message_ids) == (["code"], ["code-m1"])
    assert drilldown(results, DrilldownQuery(severity="low")).messages == 0


def test_by_sentiment_label(results) -> None:
    r = drilldown(results, DrilldownQuery(sentiment_label="Very Negative"))
    assert r.message_ids == ["code-m2"]


def test_by_weekday_hour_and_role(results) -> None:
    r = drilldown(results, DrilldownQuery(weekday=5, hour=21, role="user"))
    assert (r.conversation_ids, r.message_ids) == (["food"], ["food-m0"])
    assert drilldown(results, DrilldownQuery(date="2024-03-04")).conversation_ids == ["code"]
    assert drilldown(results, DrilldownQuery(month="2024-04")).messages == 2


def test_filters_combine_with_and(results) -> None:
    r = drilldown(results, DrilldownQuery(topic_id="coding", sentiment_label="Very Positive"))
    assert r.message_ids == [] and r.conversation_ids == []


def test_unknown_topic_is_typed_error(results) -> None:
    with pytest.raises(InvalidDrilldownQueryError):
        drilldown(results, DrilldownQuery(topic_id="nope"))


def test_query_validation_on_decode() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"hour": 24}', type=DrilldownQuery)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"sentiment_label": "Happy"}', type=DrilldownQuery)
