"""The corpus redaction on the one field walk (text_fields) gives what the walk it
replaced gave (reference_walk.py): the redacted corpus byte for byte, the report, the
texts the redactor is handed and their order; the copy leaves the input as it was."""

from __future__ import annotations

import msgspec
import pytest

from convoscope_analyzer.privacy import (
    Detection,
    PrivacyConfig,
    Redactor,
    redact_corpus,
    redact_corpus_in_place,
)
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator
from tests.unit.analyzer.test_incremental_redaction import _corpus
from tests.unit.privacy.reference_walk import reference_redact_corpus, reference_redact_in_place


class _Visits(Redactor):
    """Records the texts handed over, in order (and redacts them as usual)."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.visited: list[str] = []

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.visited.append(text)
        return super().redact_text(text)


def _corpora() -> list[Corpus]:
    generated = load_generator()
    return [
        _corpus(),
        parse_export(generated.generate_claude_export(60, seed=3)).corpus,
        parse_export(generated.generate_chatgpt_export(60, seed=4)).corpus,
    ]


def _copy(corpus: Corpus) -> Corpus:
    return decode_corpus(encode_corpus(corpus))


@pytest.mark.parametrize("operators", [{}, {"EMAIL_ADDRESS": "keep"}, {"PHONE_NUMBER": "mask"}])
def test_the_one_walk_redacts_as_the_old_walk(operators: dict[str, str]) -> None:
    config = PrivacyConfig(operators=operators)
    for corpus in _corpora():
        old_visits, new_visits = _Visits(config), _Visits(config)
        expected, expected_report = reference_redact_corpus(_copy(corpus), config, old_visits)
        original = _copy(corpus)
        got, report = redact_corpus(original, config, redactor=new_visits)
        assert encode_corpus(got) == encode_corpus(expected)
        assert msgspec.msgpack.encode(report) == msgspec.msgpack.encode(expected_report)
        assert new_visits.visited == old_visits.visited
        assert encode_corpus(original) == encode_corpus(corpus)  # the input is untouched

        in_place, reference = _copy(corpus), _copy(corpus)
        report = redact_corpus_in_place(in_place, config)
        expected_report = reference_redact_in_place(reference, config)
        assert encode_corpus(in_place) == encode_corpus(reference)
        assert msgspec.msgpack.encode(report) == msgspec.msgpack.encode(expected_report)


def test_a_redacted_copy_shares_no_changed_list_with_the_input() -> None:
    corpus = _corpus()
    before = encode_corpus(corpus)
    redacted, report = redact_corpus(corpus, PrivacyConfig())
    assert report.total > 0
    assert encode_corpus(corpus) == before
    first, copy = corpus.conversations[0].messages[1], redacted.conversations[0].messages[1]
    assert copy is not first
    assert copy.tool_uses is not first.tool_uses  # changed: a new list
    assert copy.tool_uses[0].input_json != first.tool_uses[0].input_json
