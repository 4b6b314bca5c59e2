"""The merge of stored corpora without decoding them (raw_merge) writes byte for byte what
the decoding merge (merge.merge_corpora + encode_corpus) writes, with the same parse
health and file metadata: on the hand-made collection exports (duplicates across exports
and vendors, an edited conversation, a model switch) in every upload order, and on
built corner cases (an id two vendors use, update-time ties, conversations whose only
time is their messages', projects, health details beyond the caps)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from convoscope_common.corpus import (
    Conversation,
    Corpus,
    Message,
    ParseHealth,
    Project,
    SkippedItem,
    decode_corpus,
    encode_corpus,
)
from convoscope_ingest.health import MAX_SKIPPED_DETAILS
from convoscope_ingest.merge import NoMembersError, content_hash, merge_corpora
from convoscope_ingest.parsing import build_metadata, file_metadata, parse_export
from convoscope_ingest.raw_merge import merge_encoded

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "collections"
NAMES = ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")
SAMPLES = sorted((REPO / "tests" / "data").glob("*.json")) + sorted(
    p for p in (REPO / "tests" / "data" / "real_shapes").glob("*.json") if ".golden" not in p.name
)


def _stored(name: str) -> bytes:
    return encode_corpus(parse_export((DATA / f"{name}.json").read_bytes()).corpus)


def _check(members: list[bytes]) -> None:
    """The raw merge equals the decoding merge: bytes, health, metadata."""
    expected = merge_corpora([decode_corpus(m) for m in members])
    merged = merge_encoded(members)
    assert merged.encoded == encode_corpus(expected)
    size = sum(len(m) for m in members)
    raw_meta = file_metadata(
        merged.corpus.health,  # type: ignore[attr-defined]
        fmt=merged.format,
        source=merged.source,
        size=size,
        conversations=merged.conversations,
        messages=merged.messages,
        date_range=merged.date_range,
    )
    assert raw_meta == build_metadata(expected, size)
    assert merged.sources == sorted({c.source for c in expected.conversations})
    # A merged corpus of the first exports stands for them: the same corpus and metadata.
    for k in range(1, len(members) + 1):
        again = merge_encoded([merge_encoded(members[:k]).encoded, *members[k:]])
        assert again.encoded == merged.encoded
        assert (again.conversations, again.messages, again.date_range, again.sources) == (
            merged.conversations,
            merged.messages,
            merged.date_range,
            merged.sources,
        )


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_every_upload_order_of_the_hand_made_exports_merges_alike(count: int) -> None:
    stored = {name: _stored(name) for name in NAMES}
    for names in itertools.permutations(NAMES, count):
        _check([stored[n] for n in names])


def test_the_merged_corpus_says_what_the_exports_hold() -> None:
    merged = decode_corpus(merge_encoded([_stored(n) for n in NAMES]).encoded)
    assert [(c.source, c.id) for c in merged.conversations][:3] == [
        ("claude", "c-tomato"),
        ("claude", "c-taxes"),
        ("claude", "c-bikes"),
    ]
    assert (merged.health.members, merged.health.duplicates_merged) == (4, 3)
    assert merged.health.duplicates_changed == 1  # taxes was continued in March
    taxes = next(c for c in merged.conversations if c.id == "c-taxes")
    assert len(taxes.messages) == 4  # its newest version


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_a_stored_conversations_digest_is_its_content_hash(path: Path) -> None:
    # The raw merge hashes a conversation's stored bytes; the analysis keys its pieces by
    # content_hash of the decoded conversation: they must be the same digest.
    corpus = parse_export(path.read_bytes()).corpus
    if not corpus.conversations:
        pytest.skip("no conversations")
    merged = decode_corpus(merge_encoded([encode_corpus(corpus)]).encoded)
    for conversation in merged.conversations:
        assert merged.content_hashes[conversation.id] == content_hash(conversation)


def _at(day: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)


def _message(i: int, when: datetime | None) -> Message:
    return Message(id=f"m{i}", role="user" if i % 2 == 0 else "assistant", created_at=when)


def test_an_id_two_vendors_use_keeps_both_and_is_prefixed() -> None:
    claude = Corpus(
        source="claude",
        conversations=[Conversation(id="same", source="claude", messages=[_message(0, _at(1))])],
    )
    chatgpt = Corpus(
        source="chatgpt",
        conversations=[
            Conversation(id="same", source="chatgpt", messages=[_message(0, _at(2))]),
            Conversation(id="other", source="chatgpt"),
        ],
    )
    members = [encode_corpus(claude), encode_corpus(chatgpt)]
    _check(members)
    merged = decode_corpus(merge_encoded(members).encoded)
    assert [c.id for c in merged.conversations] == ["same", "chatgpt:same", "other"]
    assert merged.renamed_ids == {"chatgpt:same": "same"}
    assert merge_encoded(members).source == "chatgpt"  # two of three conversations
    # A later export continues the renamed conversation: merged from the previous merged
    # corpus, it is still the one conversation (its newest version), not a second one.
    later = Corpus(
        source="chatgpt",
        conversations=[
            Conversation(
                id="same", source="chatgpt", messages=[_message(0, _at(2)), _message(1, _at(5))]
            )
        ],
    )
    grown = [*members, encode_corpus(later)]
    _check(grown)
    merged = decode_corpus(merge_encoded([merge_encoded(members).encoded, grown[-1]]).encoded)
    assert [c.id for c in merged.conversations] == ["same", "chatgpt:same", "other"]
    assert len(merged.conversations[1].messages) == 2
    assert (merged.health.members, merged.health.duplicates_merged) == (3, 1)


def test_ties_and_times_taken_from_the_messages() -> None:
    plain = Conversation(id="x", updated_at=_at(3), messages=[_message(0, _at(3))])
    renamed = msgspec.structs.replace(plain, title="renamed")
    # Neither created nor updated: its freshness is its last message's time.
    late = Conversation(id="y", messages=[_message(0, _at(1)), _message(1, _at(9))])
    early = Conversation(id="y", title="early", messages=[_message(0, _at(2))])
    untimed = Conversation(id="z", messages=[_message(0, None)])
    for a, b in [(plain, renamed), (renamed, plain), (late, early), (early, late)]:
        _check(
            [
                encode_corpus(Corpus(conversations=[a, untimed])),
                encode_corpus(Corpus(conversations=[b])),
            ]
        )


def test_only_conversation_times_give_the_date_range() -> None:
    a = Conversation(id="a", created_at=_at(4), updated_at=_at(6), messages=[_message(0, None)])
    b = Conversation(id="b", created_at=_at(1))
    _check([encode_corpus(Corpus(conversations=[a])), encode_corpus(Corpus(conversations=[b]))])
    assert merge_encoded([encode_corpus(Corpus(conversations=[a, b]))]).date_range == [
        "2026-01-02",
        "2026-01-07",
    ]
    assert merge_encoded([encode_corpus(Corpus())]).date_range == []


def test_projects_and_health_beyond_the_caps() -> None:
    skipped = [SkippedItem(item=f"i{i}", reason="empty") for i in range(MAX_SKIPPED_DETAILS)]
    health = ParseHealth(
        items_parsed=2,
        items_skipped=len(skipped),
        skipped=skipped,
        skipped_reasons={"empty": len(skipped)},
        files_read=["a.json"],
        shapes={"s": 1},
        notes={"n": 2},
    )
    first = Corpus(
        health=health,
        projects=[Project(id="p", name="old"), Project(id="q", created_at=_at(1))],
        conversations=[Conversation(id="a", messages=[_message(0, _at(1))])],
    )
    second = msgspec.structs.replace(first, projects=[Project(id="p", name="new")])
    _check([encode_corpus(first), encode_corpus(second)])


def test_an_empty_export_and_no_members() -> None:
    _check([encode_corpus(Corpus())])
    _check([encode_corpus(Corpus()), _stored("claude_jan")])
    with pytest.raises(NoMembersError):
        merge_encoded([])


def test_a_stored_corpus_that_is_none_is_refused() -> None:
    with pytest.raises(msgspec.DecodeError):
        merge_encoded([b"\x00not msgpack"])


def test_the_merged_digests_are_the_stored_bytes_hashes() -> None:
    stored = _stored("claude_jan")
    merged = merge_encoded([stored])
    for conversation in decode_corpus(stored).conversations:
        encoded = msgspec.msgpack.encode(conversation)
        digest = merged.corpus.content_hashes[conversation.id]  # type: ignore[attr-defined]
        assert digest == hashlib.sha256(encoded).hexdigest()


def test_changed_versions_are_counted_against_the_version_kept() -> None:
    # Three uploads of one conversation: the same bytes again, an edit, the older text
    # again with an older time (not kept): each duplicate is compared with the version
    # kept at that point, byte for byte, as merge_corpora compares digests.
    first = Conversation(id="x", updated_at=_at(2), messages=[_message(0, _at(1))])
    edited = msgspec.structs.replace(first, title="edited", updated_at=_at(5))
    stale = msgspec.structs.replace(first, updated_at=_at(1))
    for versions in itertools.permutations([first, first, edited, stale]):
        members = [encode_corpus(Corpus(conversations=[v])) for v in versions]
        _check(members)
        expected = merge_corpora([decode_corpus(m) for m in members]).health
        merged = merge_encoded(members).corpus.health  # type: ignore[attr-defined]
        assert merged.duplicates_merged == expected.duplicates_merged == 3
        assert merged.duplicates_changed == expected.duplicates_changed
