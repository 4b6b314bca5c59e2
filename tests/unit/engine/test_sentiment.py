import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.sentiment import detect_flags, label_for


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (0.9, "Very Positive"),
        (0.5, "Very Positive"),
        (0.2, "Positive"),
        (0.0, "Neutral"),
        (-0.04, "Neutral"),
        (-0.3, "Negative"),
        (-0.5, "Very Negative"),
    ],
)
def test_label_thresholds(compound: float, label: str) -> None:
    assert label_for(compound) == label


def test_clear_examples_and_flags_do_not_override_polarity(make_conversation, corpus_of) -> None:
    conv = make_conversation(
        "c",
        ("user", "This is wonderful, thank you so much, I love it!"),
        ("assistant", "Glad it helps."),
        ("user", "This is terrible, awful and useless. I hate it."),
        ("assistant", "Sorry."),
        ("user", "Let's fix it together, urgently please, what do we do?"),
        ("assistant", "Plan."),
        ("user", "The file has 3 columns."),
    )
    sentiment = analyze(corpus_of(conv), EngineOptions()).sentiment
    assert sentiment is not None
    by_id = {m.message_id: m for m in sentiment.by_message}
    assert set(by_id) == {"c-m0", "c-m2", "c-m4", "c-m6"}  # user messages only
    assert by_id["c-m0"].label == "Very Positive"
    assert by_id["c-m2"].label == "Very Negative"
    assert by_id["c-m6"].label == "Neutral"
    flagged = by_id["c-m4"]
    assert (flagged.urgent, flagged.questioning, flagged.collaborative) == (True, True, True)
    assert flagged.label == label_for(flagged.compound)
    assert sentiment.labels["Very Positive"] == 1 and sentiment.labels["Very Negative"] == 1
    assert sentiment.flags == {"urgent": 1, "questioning": 1, "collaborative": 1}
    [conv_sentiment] = sentiment.by_conversation
    assert conv_sentiment.start == by_id["c-m0"].compound
    assert conv_sentiment.end == by_id["c-m6"].compound
    assert conv_sentiment.delta == round(conv_sentiment.end - conv_sentiment.start, 4)
    assert [p.period for p in sentiment.monthly] == ["2024-03"]


def test_flags_detect_independently() -> None:
    assert detect_flags("How does this work") == (False, True, False)
    assert detect_flags("Need this ASAP") == (True, False, False)
    assert detect_flags("Shall we brainstorm names") == (False, False, True)
