"""Issue 19: reports say how much of the user's messages sentiment covers."""

from __future__ import annotations

from convoscope_common.results import AnalysisResults, Sentiment
from convoscope_exporter.render.report_text import headline_cards, section_notes, sentiment_coverage


def _results(not_scored: dict[str, int], scored: int) -> AnalysisResults:
    unscored = sum(not_scored.values())
    sentiment = Sentiment(
        messages=scored,
        languages=["en"],
        not_scored=unscored,
        not_scored_by_language=not_scored,
        coverage=scored / (scored + unscored),
    )
    return AnalysisResults(sentiment=sentiment)


def test_coverage_sentence_names_the_languages_not_scored() -> None:
    results = _results({"pt": 29}, 71)
    assert results.sentiment is not None
    sentence = sentiment_coverage(results.sentiment)
    assert sentence.startswith("Sentiment covers 71% of your messages; 29% Portuguese not scored")
    assert sentence in section_notes(results)["sentiment"]
    assert ("Sentiment coverage", "71%") in headline_cards(results)


def test_no_coverage_sentence_when_everything_is_scored() -> None:
    notes = section_notes(_results({}, 10))["sentiment"]
    assert not any("covers" in note for note in notes)
