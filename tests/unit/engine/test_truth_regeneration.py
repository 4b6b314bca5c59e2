"""Truth: a regenerated answer, from a hand-made claude.ai export through ingest to results.

The user asked once, got an answer, regenerated it and kept the second one. The
abandoned answer must not reach any text-based figure, must be counted as an
abandoned message and branch, and must become a low ``accuracy_error`` on the answer
the user kept (``Message.abandoned_alternatives``, filled by ingest).
"""

import json

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_ingest.parsing import parse_export

ROOT = "00000000-0000-4000-8000-000000000000"
QUESTION = "Which year did the Berlin Wall fall?"
ABANDONED = "It fell in 1991 after long talks between the two states."  # 11 words
KEPT = "It fell in 1989."
THANKS = "Thanks!"


def _message(uuid: str, sender: str, second: int, parent: str, text: str) -> dict:
    return {
        "uuid": uuid,
        "sender": sender,
        "created_at": f"2024-06-03T10:00:{second:02d}Z",
        "content": [{"type": "text", "text": text}],
        "parent_message_uuid": parent,
    }


def _export() -> bytes:
    return json.dumps(
        [
            {
                "uuid": "conv",
                "name": "History question",
                "created_at": "2024-06-03T10:00:00Z",
                "chat_messages": [
                    _message("q", "human", 1, ROOT, QUESTION),
                    _message("a-old", "assistant", 2, "q", ABANDONED),
                    _message("a-new", "assistant", 3, "q", KEPT),
                    _message("thanks", "human", 4, "a-new", THANKS),
                ],
            }
        ]
    ).encode()


def _results():
    corpus = parse_export(_export()).corpus
    return analyze(corpus, EngineOptions())


def test_abandoned_answer_is_not_in_any_text_figure_but_is_counted() -> None:
    results = _results()
    s = results.summary
    assert s.messages_by_role == {"user": 2, "assistant": 1}
    assert s.words == 7 + 4 + 1  # question, kept answer, thanks
    assert s.characters == len(QUESTION) + len(KEPT) + len(THANKS)
    assert s.words_by_role == {"user": 8, "assistant": 4}
    assert (s.abandoned_messages, s.abandoned_branches) == (1, 1)
    assert [r.message_id for r in results.message_index] == ["q", "a-new", "thanks"]
    assert results.temporal is not None
    assert results.temporal.length_trends[0].mean_words == 4.0  # assistant: the kept answer only


def test_regeneration_is_attributed_to_the_kept_answer() -> None:
    quality = _results().quality
    assert quality is not None
    [finding] = quality.failures.findings
    assert (finding.type, finding.severity, finding.evidence) == (
        "accuracy_error",
        "low",
        "regeneration",
    )
    assert (finding.conversation_id, finding.message_id) == ("conv", "a-new")
    assert finding.evidence_message_ids == ["a-new"]
    assert finding.matched == "regenerated 1x"
    assert (quality.failures.assistant_messages, quality.failures.failure_rate) == (1, 1.0)
    [conversation] = quality.conversations
    # Thanked in the last turn: completed, and the answer counted as effective.
    assert (conversation.task_completion, conversation.completion_confidence) == ("completed", 0.9)
    assert conversation.response_effectiveness == 1.0
    assert conversation.failures == 1


def test_edited_prompt_blames_the_answer_before_it() -> None:
    # The user edited the second prompt: the answer before it missed the point.
    data = json.dumps(
        [
            {
                "uuid": "conv",
                "chat_messages": [
                    _message("q1", "human", 1, ROOT, "Explain monads"),
                    _message("a1", "assistant", 2, "q1", "A monad is a monoid."),
                    _message("q2-old", "human", 3, "a1", "What?"),
                    _message("q2-new", "human", 4, "a1", "Explain them with an example"),
                    _message("a2", "assistant", 5, "q2-new", "Maybe is a monad."),
                ],
            }
        ]
    ).encode()
    results = analyze(parse_export(data).corpus, EngineOptions())
    assert results.quality is not None
    [finding] = results.quality.failures.findings
    assert (finding.type, finding.severity, finding.evidence) == (
        "misunderstanding",
        "low",
        "regeneration",
    )
    assert (finding.message_id, finding.evidence_message_ids) == ("a1", ["q2-new"])
    assert finding.matched == "prompt edited 1x"
    assert results.summary.messages == 4
    assert results.sentiment.messages == 2  # the abandoned prompt is not scored
