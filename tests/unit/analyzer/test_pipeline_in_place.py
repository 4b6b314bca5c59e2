"""run_pipeline(in_place=True): the same results and redacted corpus as the copying run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.corpus import Conversation, Corpus, Message, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import encode_results

TEXTS = [
    ("user", "My script fails, mail me at jane.doe@example.com please?"),
    ("assistant", "Use a dictionary lookup instead of the chain of if statements."),
    ("user", "That is not what I asked, call (415) 555-0132 instead."),
    ("assistant", "Sorry, here is the corrected version with a generator."),
]


def _corpus() -> Corpus:
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    conversations = []
    for c in range(6):
        messages = [
            Message(
                id=f"c{c}m{i}",
                role=role,  # type: ignore[arg-type]
                created_at=start + timedelta(days=c, minutes=i),
                text=text,
            )
            for i, (role, text) in enumerate(TEXTS)
        ]
        conversations.append(Conversation(id=f"c{c}", title=f"Talk {c}", messages=messages))
    return Corpus(conversations=conversations)


@pytest.mark.parametrize("enable_privacy", [True, False])
def test_in_place_gives_the_same_outputs(enable_privacy: bool) -> None:
    options = AnalysisOptions(enable_privacy=enable_privacy)
    copied = run_pipeline(_corpus(), options, PrivacyConfig())
    original = _corpus()
    in_place = run_pipeline(original, options, PrivacyConfig(), in_place=True)
    when = datetime(2025, 1, 1, tzinfo=UTC)
    copied.results.generated_at = in_place.results.generated_at = when
    assert encode_results(in_place.results) == encode_results(copied.results)
    assert encode_corpus(in_place.redacted_corpus) == encode_corpus(copied.redacted_corpus)
    assert "jane.doe@example.com" not in encode_corpus(in_place.redacted_corpus).decode(
        errors="replace"
    )
    # With privacy on the caller's corpus itself was redacted; with it off it is untouched.
    assert (in_place.redacted_corpus is original) is enable_privacy
