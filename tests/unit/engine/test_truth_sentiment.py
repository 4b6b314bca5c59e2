"""Truth: sentiment by month over more than one month.

VADER's compound for a lone lexicon word of valence v is v / sqrt(v^2 + 15), so the
expected scores follow by hand from the lexicon: good (1.9) -> 0.4404, great (3.1)
-> 0.6249, bad (-2.5) -> -0.5423; a sentence without lexicon words scores 0.
"""

from datetime import UTC, datetime
from math import sqrt

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_common.corpus import Conversation, Corpus, Message


def _vader_single_word(valence: float) -> float:
    return round(valence / sqrt(valence * valence + 15), 4)


GOOD, GREAT, BAD = _vader_single_word(1.9), _vader_single_word(3.1), _vader_single_word(-2.5)


def _corpus() -> Corpus:
    def msg(mid: str, role: str, text: str, when: datetime) -> Message:
        return Message(id=mid, role=role, text=text, created_at=when)

    return Corpus(
        conversations=[
            Conversation(
                id="jan",
                messages=[
                    msg("j1", "user", "good", datetime(2024, 1, 10, 9, tzinfo=UTC)),
                    msg(
                        "j2", "assistant", "terrible awful", datetime(2024, 1, 10, 9, 1, tzinfo=UTC)
                    ),
                    msg(
                        "j3",
                        "user",
                        "The file has three columns.",
                        datetime(2024, 1, 10, 9, 2, tzinfo=UTC),
                    ),
                ],
            ),
            Conversation(
                id="feb",
                messages=[
                    # 23:30 UTC on 31 Jan is 00:30 on 1 Feb in Berlin.
                    msg("f1", "user", "great", datetime(2024, 1, 31, 23, 30, tzinfo=UTC)),
                    msg("f2", "user", "bad", datetime(2024, 2, 2, 9, tzinfo=UTC)),
                ],
            ),
        ]
    )


def test_vader_scores_match_the_hand_computed_lexicon_values() -> None:
    sentiment = analyze(_corpus(), EngineOptions(timezone="Europe/Berlin")).sentiment
    by_id = {m.message_id: (m.compound, m.label) for m in sentiment.by_message}
    assert by_id == {  # assistant text is never scored
        "j1": (0.4404, "Positive"),
        "j3": (0.0, "Neutral"),
        "f1": (0.6249, "Very Positive"),
        "f2": (-0.5423, "Very Negative"),
    }
    assert (GOOD, GREAT, BAD) == (0.4404, 0.6249, -0.5423)


def test_monthly_sentiment_trend_over_two_months() -> None:
    results = analyze(_corpus(), EngineOptions(timezone="Europe/Berlin"))
    monthly = [(p.period, p.mean_compound, p.messages, p.labels) for p in results.sentiment.monthly]
    assert monthly == [
        ("2024-01", round((GOOD + 0.0) / 2, 4), 2, {"Positive": 1, "Neutral": 1}),
        ("2024-02", round((GREAT + BAD) / 2, 4), 2, {"Very Positive": 1, "Very Negative": 1}),
    ]
    assert [p.mean_compound for p in results.sentiment.monthly] == [0.2202, 0.0413]
    assert results.temporal is not None
    assert results.temporal.sentiment_evolution == {"2024-01": 0.2202, "2024-02": 0.0413}
    [chart] = [c for c in results.charts if c.id == "sentiment_over_time"]
    assert chart.x == ["2024-01", "2024-02"]
    # One quantity per chart: the mean alone here, the label counts in their own chart.
    assert [(s.name, s.values) for s in chart.series] == [("mean compound", [0.2202, 0.0413])]
    assert chart.title.endswith("2024-01 to 2024-02")
    [counts] = [c for c in results.charts if c.id == "sentiment_labels_over_time"]
    series = {s.name: s.values for s in counts.series}
    assert counts.kind == "stacked_bar" and counts.value_label == "user messages"
    assert series["Very Positive"] == [0.0, 1.0] and series["Neutral"] == [1.0, 0.0]


def test_monthly_trend_follows_the_timezone() -> None:
    # In UTC the "great" message belongs to January.
    monthly = analyze(_corpus(), EngineOptions()).sentiment.monthly
    assert [(p.period, p.messages) for p in monthly] == [("2024-01", 3), ("2024-02", 1)]
    assert monthly[0].mean_compound == round((GOOD + 0.0 + GREAT) / 3, 4)
