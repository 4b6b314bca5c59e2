"""Incremental analysis of a collection equals a from-scratch analysis, section by section.

Hand-made exports of one account: a newer export holding the older one plus new
conversations, a conversation edited between two exports, conversations removed, a
change of options (which must reuse nothing), and a change of the corpus's fallback
language (a conversation without readable text must be read again).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from convoscope_analyzer.engine.pieces import chunk_bounds, conversation_digest
from convoscope_analyzer.incremental_pipeline import (
    IncrementalRun,
    StoredPieces,
    run_incremental,
)
from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.corpus import Conversation, Corpus, Message, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults
from convoscope_ingest.merge import merge_corpora
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator

DATA = Path(__file__).resolve().parents[2] / "data"
SECTIONS = [f for f in AnalysisResults.__struct_fields__ if f != "generated_at"]


def _sections(results: AnalysisResults) -> dict[str, bytes]:
    return {name: msgspec.msgpack.encode(getattr(results, name)) for name in SECTIONS}


def _claude(n: int, seed: int = 11) -> Corpus:
    return parse_export(load_generator().generate_claude_export(n, seed=seed)).corpus


def _copy(corpus: Corpus) -> Corpus:
    return decode_corpus(encode_corpus(corpus))


def _incremental(
    corpus: Corpus,
    previous: StoredPieces | None,
    options: AnalysisOptions | None = None,
    config: PrivacyConfig | None = None,
) -> IncrementalRun:
    """An incremental run, its pieces through msgpack as the store keeps them."""
    run = run_incremental(
        _copy(corpus), options or AnalysisOptions(), config or PrivacyConfig(), previous,
        in_place=True,
    )  # fmt: skip
    stored = decode_pieces(encode_pieces(run.pieces))
    assert stored is not None
    run.pieces = stored
    return run


def _assert_equal_to_scratch(
    corpus: Corpus,
    run: IncrementalRun,
    options: AnalysisOptions | None = None,
    config: PrivacyConfig | None = None,
) -> None:
    scratch = run_pipeline(_copy(corpus), options or AnalysisOptions(), config or PrivacyConfig())
    expected, got = _sections(scratch.results), _sections(run.output.results)
    for name in SECTIONS:
        assert got[name] == expected[name], f"section {name} differs from a from-scratch analysis"
    assert encode_corpus(run.output.redacted_corpus) == encode_corpus(scratch.redacted_corpus)


def _edited(conversation: Conversation) -> Conversation:
    """The same conversation continued and edited in a later export."""
    later = (conversation.updated_at or datetime(2025, 1, 1, tzinfo=UTC)) + timedelta(days=3)
    messages = list(conversation.messages)
    messages[0] = msgspec.structs.replace(
        messages[0], text=messages[0].text + " Also, my email is new.person@example.org."
    )
    messages.append(Message(id="late-user", role="user", created_at=later, text="Thanks!"))
    return msgspec.structs.replace(conversation, messages=messages, updated_at=later)


@pytest.fixture(scope="module")
def older() -> Corpus:
    return merge_corpora([_claude(150)])


@pytest.fixture(scope="module")
def older_run(older: Corpus) -> IncrementalRun:
    return _incremental(older, None)


def test_a_first_analysis_equals_one_from_scratch(older: Corpus, older_run: IncrementalRun) -> None:
    assert older_run.stats.chunks_reused == 0
    _assert_equal_to_scratch(older, older_run)


def test_a_newer_export_reuses_the_old_conversations(
    older: Corpus, older_run: IncrementalRun
) -> None:
    first, second = _claude(150), _claude(160)  # the same account, 10 conversations later
    collection = merge_corpora([first, second])
    run = _incremental(collection, older_run.pieces)
    _assert_equal_to_scratch(collection, run)
    # The older export's last conversation ends a chunk: only the new ones are analysed.
    assert run.stats.conversations_reused == 150
    assert run.stats.conversations_analysed == 10
    assert run.texts_scanned == 10  # only the new conversations were scanned for PII


def test_an_edited_conversation_new_ones_and_a_removed_one(
    older: Corpus, older_run: IncrementalRun
) -> None:
    newer = _claude(165)
    conversations = list(newer.conversations)
    conversations[140] = _edited(conversations[140])
    # Deleted by the user before the newer export. (Removing or editing a conversation
    # that introduced personal data renumbers the placeholders of the ones after it,
    # whose redacted text then changes: they are analysed again.)
    del conversations[120]
    newer = msgspec.structs.replace(newer, conversations=conversations)
    collection = merge_corpora([newer])
    run = _incremental(collection, older_run.pieces)
    _assert_equal_to_scratch(collection, run)
    assert run.stats.chunks_reused >= 2 and run.stats.conversations_reused >= 40
    assert run.texts_scanned == 16  # 15 new, 1 edited
    # The edited conversation was read again (its new address is redacted).
    edited = run.output.redacted_corpus.conversations[139]
    assert edited.id == conversations[139].id
    assert "new.person@example.org" not in edited.messages[0].text


def test_an_edited_conversation_through_a_collection_of_two_exports(
    older_run: IncrementalRun,
) -> None:
    first, second = _claude(150), _claude(150)
    conversations = list(second.conversations)
    conversations[3] = _edited(conversations[3])
    second = msgspec.structs.replace(second, conversations=conversations)
    collection = merge_corpora([first, second])
    assert collection.health.duplicates_changed == 1
    run = _incremental(collection, older_run.pieces)
    _assert_equal_to_scratch(collection, run)
    assert run.texts_scanned == 1


@pytest.mark.parametrize(
    ("options", "config"),
    [
        (AnalysisOptions(timezone="America/Sao_Paulo"), None),
        (AnalysisOptions(enable_quality=False, enable_temporal=False), None),
        (AnalysisOptions(enable_privacy=False), None),
        (None, PrivacyConfig(default_region="GB", detect_names=False)),
    ],
)
def test_a_change_of_options_reuses_nothing(
    older: Corpus,
    older_run: IncrementalRun,
    options: AnalysisOptions | None,
    config: PrivacyConfig | None,
) -> None:
    run = _incremental(older, older_run.pieces, options, config)
    assert run.stats.chunks_reused == 0
    assert run.texts_scanned == len(older.conversations)
    _assert_equal_to_scratch(older, run, options, config)
    # ...and its own pieces serve the next run under the same options.
    again = _incremental(older, run.pieces, options, config)
    assert again.stats.chunks_reused == again.stats.chunks
    _assert_equal_to_scratch(older, again, options, config)


def test_operators_change_the_redacted_text_and_so_the_pieces(
    older: Corpus, older_run: IncrementalRun
) -> None:
    config = PrivacyConfig(operators={"email": "mask"})
    run = _incremental(older, older_run.pieces, None, config)
    assert run.texts_scanned == 0  # detections do not depend on operators...
    assert run.stats.chunks_reused < run.stats.chunks  # ...but the text the engine reads does
    _assert_equal_to_scratch(older, run, None, config)


def _silent(i: int) -> Conversation:
    """A conversation with no readable text: it takes the corpus's language."""
    when = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=i)
    return Conversation(
        id=f"silent-{i}",
        created_at=when,
        updated_at=when,
        messages=[
            Message(id=f"s{i}u", role="user", created_at=when, text="ok"),
            Message(id=f"s{i}a", role="assistant", created_at=when, text="👍"),
        ],
    )


def _exchange(cid: str, title: str, when: datetime, ask: str, answer: str) -> Conversation:
    """A conversation of one question and its answer."""
    return Conversation(
        id=cid,
        title=title,
        created_at=when,
        updated_at=when,
        messages=[
            Message(id=f"{cid}-u", role="user", created_at=when, text=ask),
            Message(id=f"{cid}-a", role="assistant", created_at=when, text=answer),
        ],
    )


def _french(i: int) -> Conversation:
    when = datetime(2025, 4, 1, tzinfo=UTC) + timedelta(hours=i)
    ask = (
        "Bonjour, je voudrais préparer un voyage à Lisbonne au printemps avec mes enfants, "
        f"quels quartiers me conseillez-vous pour loger et visiter la ville numéro {i} ?"
    )
    answer = "Je vous conseille l'Alfama et le Chiado, deux quartiers charmants et animés."
    return _exchange(f"fr-{i}", f"Voyage {i}", when, ask, answer)


def test_a_new_fallback_language_reads_conversations_without_text_again() -> None:
    english = _claude(130, seed=4)
    conversations = [*english.conversations[:100], _silent(0), *english.conversations[100:]]
    base = msgspec.structs.replace(english, conversations=conversations)
    first = _incremental(base, None)
    _assert_equal_to_scratch(base, first)
    # Now mostly French: the corpus's language changes, and the conversation without
    # readable text, which takes it, must be read again (its chunk is not reused).
    grown = msgspec.structs.replace(
        base, conversations=[*conversations, *(_french(i) for i in range(300))]
    )
    run = _incremental(grown, first.pieces)
    _assert_equal_to_scratch(grown, run)
    assert run.stats.chunks_reused >= 1
    assert _language_of(first, "silent-0") == "en"
    assert _language_of(run, "silent-0") == "fr"


def _language_of(run: IncrementalRun, conversation_id: str) -> str:
    languages = run.output.results.languages
    assert languages is not None
    return next(
        r.language for r in languages.by_conversation if r.conversation_id == conversation_id
    )


def test_chunks_are_cut_by_content() -> None:
    digests = [conversation_digest(c) for c in _claude(200, seed=2).conversations]
    bounds = chunk_bounds(digests)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(digests)
    assert all(a < b for a, b in bounds)
    assert all(b1 == a2 for (_, b1), (a2, _) in itertools.pairwise(bounds))
    # A conversation inserted in the middle changes only the chunk around it.
    inserted = [*digests[:100], conversation_digest(_silent(1)), *digests[100:]]
    before = {tuple(digests[a:b]) for a, b in bounds}
    after = {tuple(inserted[a:b]) for a, b in chunk_bounds(inserted)}
    assert len(before - after) <= 2
    assert len(before & after) >= len(before) - 2


def test_unreadable_pieces_reuse_nothing() -> None:
    assert decode_pieces(b"not msgpack") is None
    # Pieces stored before they were compressed: read as none.
    assert decode_pieces(msgspec.msgpack.encode(StoredPieces())) is None
    assert decode_pieces(encode_pieces(StoredPieces(version=0))) is None


def _writing_to(i: int, address: str) -> Conversation:
    when = datetime(2025, 5, 1, tzinfo=UTC) + timedelta(hours=i)
    ask = f"Please draft a short reply to {address} about moving our meeting to Friday."
    answer = f"Here is a draft for {address}: thank you, Friday works well for me."
    return _exchange(f"mail-{i}", f"Reply {i}", when, ask, answer)


def test_a_placeholder_numbered_anew_is_not_reused() -> None:
    # The same raw conversation redacts differently once an earlier conversation takes
    # its placeholder's number: its key (raw digest + the texts redaction left) moves,
    # so its chunk is analysed again although no raw byte of it changed.
    french = [_french(i) for i in range(200)]  # no personal data: numbered alike
    later = _writing_to(1, "ana.lima@example.org")
    first_corpus = Corpus(format="collection", conversations=[*french, later])
    first = _incremental(first_corpus, None)
    _assert_equal_to_scratch(first_corpus, first)
    earlier = _writing_to(0, "joao.reis@example.org")
    grown = Corpus(format="collection", conversations=[earlier, *french, later])
    run = _incremental(grown, first.pieces)
    _assert_equal_to_scratch(grown, run)
    # Every chunk but the first (a conversation inserted) and the last (renumbered).
    assert run.stats.chunks >= 4
    assert run.stats.chunks_reused == run.stats.chunks - 2
    assert "<EMAIL_2>" in run.output.redacted_corpus.conversations[-1].messages[0].text
