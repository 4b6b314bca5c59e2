"""redact_corpus: a new corpus in which no planted value survives anywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from convoscope_analyzer.privacy import PrivacyConfig, redact_corpus
from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Corpus,
    Message,
    ToolResult,
    ToolUse,
    encode_corpus,
)
from convoscope_common.results import PrivacyReport

PLANTED = {
    "email": ["jane.doe@example.com", "ops-team@acme.io", "bob@mail.example.org"],
    "phone": ["+44 20 7946 0958", "(415) 555-0132"],
    "ssn": ["536-22-1234"],
    "credit_card": ["4111 1111 1111 1111"],
    "iban": ["DE89 3704 0044 0532 0130 00"],
    "ip_address": ["203.0.113.42", "2001:db8::8a2e:370:7334"],
    "secret": [
        "sk-ant-api03-Zx9Kp2Lm7Qr4Tv8Wn3Yb6Hc1Jd5Fg0Ss2Ae8Io4Uu7Ty",
        "AKIAIOSFODNN7EXAMPLE",
        "Tr0ub4dor9x",
        "ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cD1fG3hJ5",
    ],
    "street_address": ["742 Evergreen Terrace"],
    "person_name": ["Inigo Montoya"],
}


def _corpus() -> Corpus:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    user = Message(
        id="m1",
        role="user",
        created_at=now,
        text="my name is Inigo Montoya, mail jane.doe@example.com or call (415) 555-0132",
        attachments=[
            Attachment(
                file_name="invoice for jane.doe@example.com.txt",
                extracted_text="IBAN DE89 3704 0044 0532 0130 00\nSSN 536-22-1234\n"
                "ship to 742 Evergreen Terrace",
            )
        ],
        files=["scan of 4111 1111 1111 1111.png"],
    )
    assistant = Message(
        id="m2",
        role="assistant",
        created_at=now,
        text="I will not repeat jane.doe@example.com.",
        thinking=["The user pasted AKIAIOSFODNN7EXAMPLE, warn them."],
        tool_uses=[
            ToolUse(
                id="t1",
                name="http",
                input_json=json.dumps(
                    {"url": "https://203.0.113.42/api", "headers": {"password": "Tr0ub4dor9x"}}
                ),
            )
        ],
        tool_results=[ToolResult(tool_use_id="t1", text="ok from 2001:db8::8a2e:370:7334")],
        citations=[
            Citation(url="https://x.io/u/bob@mail.example.org", title="bob@mail.example.org")
        ],
    )
    other = Message(
        id="m3",
        role="user",
        created_at=now,
        text="key sk-ant-api03-Zx9Kp2Lm7Qr4Tv8Wn3Yb6Hc1Jd5Fg0Ss2Ae8Io4Uu7Ty and "
        "ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cD1fG3hJ5, london +44 20 7946 0958",
    )
    clean = Message(id="m4", role="assistant", text="Nothing personal here.")
    return Corpus(
        conversations=[
            Conversation(
                id="c1",
                title="Mail to ops-team@acme.io",
                project="acct 4111 1111 1111 1111",
                messages=[user, assistant],
            ),
            Conversation(id="c2", title="Keys", messages=[other, clean]),
            Conversation(id="c3", title="Empty"),
        ]
    )


@pytest.fixture
def redacted() -> tuple[Corpus, PrivacyReport]:
    return redact_corpus(_corpus(), PrivacyConfig.from_mapping({}))


def test_no_planted_value_in_encoded_output(redacted: tuple[Corpus, PrivacyReport]) -> None:
    corpus, report = redacted
    blobs = [encode_corpus(corpus), msgspec.json.encode(corpus), msgspec.json.encode(report)]
    for values in PLANTED.values():
        for value in values:
            for blob in blobs:
                assert value.encode() not in blob


def test_every_field_was_redacted(redacted: tuple[Corpus, PrivacyReport]) -> None:
    corpus, _ = redacted
    c1 = corpus.conversations[0]
    assert c1.title == "Mail to <EMAIL_1>"  # numbered in reading order: the title first
    assert c1.project == "acct <CREDIT_CARD_1>"
    user, assistant = c1.messages
    assert user.text == "my name is <PERSON_NAME_1>, mail <EMAIL_2> or call <PHONE_1>"
    assert user.attachments[0].file_name == "invoice for <EMAIL_2>.txt"
    assert user.files == ["scan of <CREDIT_CARD_1>.png"]
    assert assistant.thinking == ["The user pasted <SECRET_1>, warn them."]
    # Placeholders keep tool inputs valid JSON.
    tool_input = json.loads(assistant.tool_uses[0].input_json)
    assert tool_input["headers"]["password"] == "<SECRET_2>"
    assert assistant.citations[0].title == "<EMAIL_3>"


def test_input_corpus_is_not_modified() -> None:
    original = _corpus()
    before = encode_corpus(original)
    redact_corpus(original, PrivacyConfig.from_mapping({}))
    assert encode_corpus(original) == before


def test_report_counts_and_findings(redacted: tuple[Corpus, PrivacyReport]) -> None:
    _, report = redacted
    assert report.enabled is True
    assert report.counts["email"] == 6  # title, text x2, file name, citation url + title
    assert report.counts["secret"] == 4
    assert report.counts["phone"] == 2
    assert report.counts["person_name"] == 1
    assert report.total == sum(report.counts.values())
    assert report.messages_affected == 3
    assert report.conversations_affected == 2
    assert report.best_effort_types == ["person_name"]
    assert report.operators["email"] == "replace"
    title = [f for f in report.findings if f.field == "title"]
    assert {(f.conversation_id, f.message_id, f.entity_type) for f in title} == {
        ("c1", "", "email"),
        ("c1", "", "credit_card"),
    }
    text_email = next(
        f
        for f in report.findings
        if (f.message_id, f.entity_type, f.field) == ("m1", "email", "text")
    )
    assert text_email.count == 1
    assert sum(f.count for f in report.findings) == report.total


def test_checkpoint_and_progress_are_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("convoscope_analyzer.privacy.corpus_redaction.REPORT_EVERY_MESSAGES", 1)
    calls: list[tuple[int, int]] = []
    checkpoints: list[int] = []
    redact_corpus(
        _corpus(),
        PrivacyConfig.from_mapping({}),
        checkpoint=lambda: checkpoints.append(1),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (4, 4)
    assert len(checkpoints) >= 2


def test_checkpoint_exception_stops_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    class Cancelled(Exception):
        pass

    def cancel() -> None:
        raise Cancelled

    monkeypatch.setattr("convoscope_analyzer.privacy.corpus_redaction.REPORT_EVERY_MESSAGES", 1)
    with pytest.raises(Cancelled):
        redact_corpus(_corpus(), PrivacyConfig.from_mapping({}), checkpoint=cancel)


def test_keep_operator_leaves_values_and_still_counts() -> None:
    corpus, report = redact_corpus(
        _corpus(), PrivacyConfig.from_mapping({"operators": "email=keep"})
    )
    assert "jane.doe@example.com" in corpus.conversations[0].messages[0].text
    assert report.counts["email"] == 6
    assert report.operators["email"] == "keep"


def test_empty_corpus() -> None:
    corpus, report = redact_corpus(Corpus(), PrivacyConfig.from_mapping({}))
    assert corpus.conversations == []
    assert report.total == 0 and report.findings == []


def test_project_names_are_redacted_without_inventing_a_conversation() -> None:
    from convoscope_common.corpus import Project

    corpus = Corpus(
        conversations=[Conversation(id="c1", messages=[Message(id="m1", role="user", text="hi")])],
        projects=[Project(id="p1", name="Taxes for jane.doe@example.com"), Project(id="p2")],
    )
    redacted, report = redact_corpus(corpus, PrivacyConfig())
    assert "jane.doe@example.com" not in msgspec.json.encode(redacted).decode()
    assert redacted.projects[0].name is not None and "<EMAIL_" in redacted.projects[0].name
    assert redacted.projects[1].name is None
    assert report.counts == {"email": 1}
    assert report.conversations_affected == 0
    assert [(f.field, f.conversation_id) for f in report.findings] == [("project", "")]


def test_in_place_redaction_matches_the_copy() -> None:
    from convoscope_analyzer.privacy import redact_corpus_in_place
    from convoscope_common.corpus import Project

    def corpus() -> Corpus:
        base = _corpus()
        base.projects = [Project(id="p1", name="Taxes for jane.doe@example.com"), Project(id="p2")]
        return base

    copy, copy_report = redact_corpus(corpus(), PrivacyConfig.from_mapping({}))
    target = corpus()
    report = redact_corpus_in_place(target, PrivacyConfig.from_mapping({}))
    assert encode_corpus(target) == encode_corpus(copy)
    assert report == copy_report
    assert target.conversations[0].messages[0].text.startswith("my name is <PERSON_NAME_1>")


def test_in_place_redaction_reports_progress_and_stops_at_a_checkpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from convoscope_analyzer.privacy import redact_corpus_in_place

    class Cancelled(Exception):
        pass

    def cancel() -> None:
        raise Cancelled

    monkeypatch.setattr("convoscope_analyzer.privacy.corpus_redaction.REPORT_EVERY_MESSAGES", 1)
    calls: list[tuple[int, int]] = []
    redact_corpus_in_place(
        _corpus(), PrivacyConfig.from_mapping({}), progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (2, 4) and calls[-1] == (4, 4)
    with pytest.raises(Cancelled):
        redact_corpus_in_place(_corpus(), PrivacyConfig.from_mapping({}), checkpoint=cancel)
