"""The incremental redaction (only texts with a recorded detection visited) equals the
whole walk: redacted corpus, placeholder numbers and report; texts in the walk's order."""

from __future__ import annotations

import msgspec
import pytest

from convoscope_analyzer.incremental_redaction import redact_detected
from convoscope_analyzer.privacy import Detection, PrivacyConfig, Redactor, redact_corpus_in_place
from convoscope_analyzer.privacy.text_fields import SlotsOutOfStepError, slots_at, text_slots
from convoscope_analyzer.shard_redaction import Recorded, record_detections
from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Corpus,
    Message,
    Project,
    ToolResult,
    ToolUse,
    decode_corpus,
    encode_corpus,
)


def _message(i: int, who: str) -> Message:
    """A message with a text in every free-text field, some holding personal data."""
    mail = f"{who}{i}@example.org"
    return Message(
        id=f"m{i}",
        role="user" if i % 2 == 0 else "assistant",
        text=f"write to {mail} please" if i % 3 else "nothing personal here",
        thinking=["", f"call +1 415 555 01{i:02d} later", "plain thought"],
        tool_uses=[ToolUse(name="t", input_json=f'{{"to": "{mail}"}}'), ToolUse(name="u")],
        tool_results=[ToolResult(text="no data"), ToolResult(text=f"sent to {mail}")],
        attachments=[
            Attachment(file_name=f"{who}-cv.pdf", extracted_text=f"Contact: {mail}"),
            Attachment(file_name="", extracted_text=""),
        ],
        files=["notes.txt", f"{mail}.txt"],
        citations=[
            Citation(url=f"https://example.org/u/{mail}", title=None),
            Citation(url=None, title=f"Page of {mail}"),
        ],
    )


def _corpus() -> Corpus:
    conversations = [
        Conversation(
            id=f"c{n}",
            title=f"Mail for {who}@example.org" if n % 2 else "A plain title",
            project="Project with alice@example.org" if n == 1 else None,
            messages=[_message(i, who) for i in range(5)],
        )
        for n, who in enumerate(["alice", "bob", "alice", "carol"])
    ]
    conversations.append(Conversation(id="quiet", title="Nothing", messages=[]))
    projects = [Project(id="p1", name="Shared with bob@example.org"), Project(id="p2")]
    return Corpus(conversations=conversations, projects=projects)


def _copy(corpus: Corpus) -> Corpus:
    return decode_corpus(encode_corpus(corpus))


def _recorded(corpus: Corpus, config: PrivacyConfig) -> list[list[Recorded]]:
    return [record_detections(corpus, config, i, i + 1) for i in range(len(corpus.conversations))]


class _Visits(Redactor):
    """Records the texts the whole walk visits, in order, and changes none."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.visited: list[str] = []

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.visited.append(text)
        return text, []


def test_text_slots_follow_the_whole_walk() -> None:
    corpus, config = _corpus(), PrivacyConfig()
    for conversation in corpus.conversations:
        visits = _Visits(config)
        redact_corpus_in_place(Corpus(conversations=[conversation]), config, redactor=visits)
        assert [value for value, *_ in text_slots(conversation)] == visits.visited


def test_slots_at_are_the_walks_slots_at_those_places() -> None:
    conversation = _corpus().conversations[1]
    walk = list(text_slots(conversation))
    for places in ([], [0], [1, 4, 9], [len(walk) - 1], list(range(len(walk)))):
        assert list(slots_at(conversation, places)) == [walk[k] for k in places]


@pytest.mark.parametrize("places", [[200], [3, 2], [1, 1]])
def test_slots_at_refuses_places_the_walk_does_not_reach(places: list[int]) -> None:
    conversation = _corpus().conversations[1]
    with pytest.raises(SlotsOutOfStepError, match="out of step"):
        list(slots_at(conversation, places))


@pytest.mark.parametrize("operators", [{}, {"EMAIL_ADDRESS": "keep"}, {"PHONE_NUMBER": "mask"}])
def test_equals_the_whole_walk(operators: dict[str, str]) -> None:
    config = PrivacyConfig(operators=operators)
    corpus = _corpus()
    recorded = _recorded(corpus, config)
    assert sum(1 for found in recorded for r in found if r.detections) > 20
    assert sum(1 for found in recorded for r in found if not r.detections) > 10

    whole = _copy(corpus)
    expected = redact_corpus_in_place(whole, config)
    mine = _copy(corpus)
    got = redact_detected(mine.conversations, recorded, mine.projects, config)

    assert encode_corpus(mine) == encode_corpus(whole)
    assert msgspec.msgpack.encode(got) == msgspec.msgpack.encode(expected)
    assert expected.total > 0
    if not operators:
        assert "<EMAIL_1>" in encode_corpus(mine).decode(errors="replace")


def test_list_items_are_replaced_not_changed() -> None:
    config = PrivacyConfig()
    corpus = _corpus()
    recorded = _recorded(corpus, config)
    use = corpus.conversations[0].messages[1].tool_uses[0]
    before = use.input_json
    redact_detected(corpus.conversations, recorded, corpus.projects, config)
    assert use.input_json == before  # the original item is left as it was
    assert corpus.conversations[0].messages[1].tool_uses[0].input_json != before


def test_entries_of_other_texts_fail_loudly() -> None:
    config = PrivacyConfig()
    corpus = _corpus()
    recorded = _recorded(corpus, config)
    # A text changed since its detections were recorded: the checksum tells.
    corpus.conversations[1].messages[1].text = "write to someone@example.org please!"
    with pytest.raises(RuntimeError):
        redact_detected(corpus.conversations, recorded, corpus.projects, config)


def test_more_entries_than_texts_fail_loudly() -> None:
    config = PrivacyConfig()
    corpus = _corpus()
    recorded = _recorded(corpus, config)
    extra = Recorded(0, recorded[1][0].detections)
    recorded[-1] = [*recorded[-1], extra]  # "quiet" has no text at all
    with pytest.raises(RuntimeError):
        redact_detected(corpus.conversations, recorded, corpus.projects, config)
