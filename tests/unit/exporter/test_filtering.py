"""Export filter: parsing, selection rules and recomputed aggregates."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from convoscope_exporter.errors import InvalidFilterError
from convoscope_exporter.filtering import ExportFilter, apply_filter, parse_filter


def _ids(corpus):
    return [c.id for c in corpus.conversations]


def _message_ids(corpus):
    return [m.id for c in corpus.conversations for m in c.messages]


# --- parse_filter --------------------------------------------------------------------


def test_parse_filter_accepts_every_field():
    flt = parse_filter(
        {
            "date_from": "2024-02-01",
            "date_to": "2024-02-29",
            "topics": ["programming"],
            "roles": ["user"],
            "models": ["claude-3-opus"],
            "sentiment": ["Positive"],
            "conversation_ids": ["conv-sql"],
        }
    )
    assert flt.date_from == date(2024, 2, 1)
    assert flt.date_to == date(2024, 2, 29)
    assert flt.roles == ["user"]
    assert not flt.is_empty()


def test_parse_filter_empty_and_none_mean_no_restriction():
    assert parse_filter({}).is_empty()
    assert parse_filter(None).is_empty()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"colour": "red"}, "colour"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"date_from": "2024-03-01", "date_to": "2024-02-01"}, "after"),
        ({"roles": ["system"]}, "system"),
        ({"sentiment": ["Happy"]}, "Happy"),
        ({"topics": "programming"}, "topics"),
        ({"conversation_ids": [""]}, "empty"),
    ],
)
def test_parse_filter_rejects_bad_input_with_a_useful_message(raw, fragment):
    with pytest.raises(InvalidFilterError) as info:
        parse_filter(raw)
    assert fragment in str(info.value)
    assert info.value.code == "invalid_filter"


def test_parse_filter_rejects_non_object():
    with pytest.raises(InvalidFilterError):
        parse_filter(["2024-01-01"])  # type: ignore[arg-type]


def test_export_filter_forbids_unknown_fields_when_decoded():
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"nope": 1}', type=ExportFilter)


# --- selection ------------------------------------------------------------------------


def test_empty_filter_returns_inputs_unchanged(results, corpus):
    out_results, out_corpus = apply_filter(results, corpus, ExportFilter())
    assert out_results is results
    assert out_corpus is corpus


def test_date_range_selects_messages_and_recomputes(results, corpus):
    flt = parse_filter({"date_from": "2024-02-01", "date_to": "2024-02-29"})
    fres, fcorp = apply_filter(results, corpus, flt)
    assert _ids(fcorp) == ["conv-trip", "conv-sql"]
    assert fres.summary.conversations == 2
    assert fres.summary.messages == 8
    assert fres.summary.messages_by_role == {"assistant": 4, "user": 4}
    assert fres.summary.date_range == ["2024-02-03", "2024-02-20"]
    assert fres.summary.citations == 2
    assert fres.summary.tool_errors == 0
    assert sorted(f.id for f in fres.quality.failures.findings) == ["f2", "f3"]
    assert fres.quality.failures.total == 2
    assert fres.quality.failures.by_severity == {"high": 1, "medium": 0, "low": 1}
    assert fres.quality.failures.assistant_messages == 4
    assert fres.quality.failures.failure_rate == pytest.approx(1 / 4)
    assert sum(map(sum, fres.temporal.heatmap)) == 8
    assert len(fres.temporal.heatmap) == 7 and all(len(r) == 24 for r in fres.temporal.heatmap)
    assert fres.temporal.monthly == {"2024-02": 8}
    # The analyzer's ranking: up to three active weekdays, busiest first.
    assert fres.temporal.busiest_weekdays == ["Tuesday", "Saturday"]
    assert fres.temporal.peak_hours == [9, 14]
    assert {s.message_id for s in fres.sentiment.by_message} == {
        "conv-trip-m0",
        "conv-sql-m0",
        "conv-sql-m2",
        "conv-sql-m4",
    }
    assert fres.sentiment.messages == 4
    assert fres.sentiment.mean_compound == pytest.approx((0.32 + 0.0 + 0.10 - 0.60) / 4)
    assert fres.privacy.total == 0 and fres.privacy.counts == {}
    assert fres.charts == []


def test_date_range_uses_the_analysis_timezone(results, corpus):
    # conv-email is on 2024-04-05 22:15 UTC, which is already 2024-04-06 in Tokyo.
    flt = parse_filter({"date_from": "2024-04-01", "date_to": "2024-04-05"})
    _, utc_corpus = apply_filter(results, corpus, flt)
    tokyo = msgspec.structs.replace(
        results, options=msgspec.structs.replace(results.options, timezone="Asia/Tokyo")
    )
    _, tokyo_corpus = apply_filter(tokyo, corpus, flt)
    assert "conv-email" in _ids(utc_corpus)
    assert "conv-email" not in _ids(tokyo_corpus)


def test_empty_conversation_kept_by_date_but_not_by_role(results, corpus):
    by_date = parse_filter({"date_from": "2024-04-01"})
    by_role = parse_filter({"date_from": "2024-04-01", "roles": ["user"]})
    assert _ids(apply_filter(results, corpus, by_date)[1]) == ["conv-empty", "conv-email"]
    assert _ids(apply_filter(results, corpus, by_role)[1]) == ["conv-email"]


def test_role_filter_keeps_only_that_role(results, corpus):
    fres, fcorp = apply_filter(results, corpus, parse_filter({"roles": ["user"]}))
    roles = {m.role for c in fcorp.conversations for m in c.messages}
    assert roles == {"user"}
    assert fres.summary.messages == 9
    # Failures are attributed to assistant messages, so none survive a user-only export.
    assert fres.quality.failures.total == 0
    assert fres.quality.failures.failure_rate == 0.0
    assert fres.sentiment.messages == 9


def test_topic_filter_recomputes_topic_counts_and_shares(results, corpus):
    fres, fcorp = apply_filter(results, corpus, parse_filter({"topics": ["programming"]}))
    assert _ids(fcorp) == ["conv-py", "conv-sql"]
    topics = {t.id: t for t in [*fres.topics.taxonomy, *fres.topics.learned]}
    assert topics["programming"].conversations == 2
    assert topics["programming"].share == pytest.approx(1.0)
    assert topics["learned-0"].conversation_ids == ["conv-sql"]
    assert topics["travel"].conversations == 0
    assert topics["programming"].monthly == {"2024-01": 1, "2024-02": 1}
    assert sorted(f.id for f in fres.quality.failures.findings) == ["f1", "f2", "f3", "f5"]
    assert fres.quality.task_completion == {
        "completed": 2,
        "in_progress": 0,
        "abandoned": 0,
        "blocked": 0,
    }
    assert [a.conversation_id for a in fres.topics.assignments] == ["conv-py", "conv-sql"]


def test_model_filter_matches_conversation_or_message_model(results, corpus):
    _, fcorp = apply_filter(results, corpus, parse_filter({"models": ["claude-3-haiku"]}))
    assert _ids(fcorp) == ["conv-recipe"]


def test_sentiment_filter_uses_conversation_labels(results, corpus):
    label = results.sentiment.by_conversation[0].label
    expected = [c.conversation_id for c in results.sentiment.by_conversation if c.label == label]
    _, fcorp = apply_filter(results, corpus, parse_filter({"sentiment": [label]}))
    assert _ids(fcorp) == expected
    assert len(expected) < len(corpus.conversations)


def test_conversation_ids_and_criteria_combine_with_and(results, corpus):
    flt = parse_filter({"conversation_ids": ["conv-py", "conv-trip"], "topics": ["travel"]})
    fres, fcorp = apply_filter(results, corpus, flt)
    assert _ids(fcorp) == ["conv-trip"]
    assert fres.summary.models == {"claude-3-sonnet": 1}
    assert [q.conversation_id for q in fres.quality.conversations] == ["conv-trip"]


def test_filter_does_not_mutate_inputs(results, corpus, sample):
    before_results = msgspec.json.encode(results)
    before_corpus = msgspec.json.encode(corpus)
    apply_filter(results, corpus, parse_filter({"roles": ["assistant"], "topics": ["travel"]}))
    assert msgspec.json.encode(results) == before_results
    assert msgspec.json.encode(corpus) == before_corpus


def test_privacy_counts_recomputed(results, corpus):
    fres, _ = apply_filter(results, corpus, parse_filter({"conversation_ids": ["conv-email"]}))
    assert fres.privacy.total == 2
    assert fres.privacy.counts == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert fres.privacy.messages_affected == 1
    assert fres.privacy.conversations_affected == 1
