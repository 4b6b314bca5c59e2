"""Merging a collection's corpora, on hand-made exports with known answers
(tests/data/collections/make_exports.py says what each export holds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from convoscope_common.corpus import Conversation, Corpus, Message
from convoscope_ingest.merge import NoMembersError, content_hash, merge_corpora
from convoscope_ingest.parsing import build_metadata, parse_export

DATA = Path(__file__).resolve().parents[2] / "data" / "collections"


def _corpus(name: str) -> Corpus:
    return parse_export((DATA / f"{name}.json").read_bytes()).corpus


def _all() -> list[Corpus]:
    return [_corpus(n) for n in ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")]


def test_duplicates_across_exports_and_vendors_are_counted_once() -> None:
    merged = merge_corpora(_all())
    keys = [(c.source, c.id) for c in merged.conversations]
    assert keys == [
        ("claude", "c-tomato"),
        ("claude", "c-taxes"),
        ("claude", "c-bikes"),
        ("chatgpt", "g-switch"),
        ("chatgpt", "g-poems"),
        ("chatgpt", "g-default"),
    ]
    assert merged.health.members == 4
    assert merged.health.duplicates_merged == 3  # tomato, taxes, switch
    assert merged.health.duplicates_changed == 1  # taxes was continued in March
    # The parse-health report of the merged upload says it too.
    health = build_metadata(merged, 1).parse_health
    assert (health.members, health.duplicates_merged, health.duplicates_changed) == (4, 3, 1)
    assert merged.format == "collection"


@pytest.mark.parametrize("order", [("claude_jan", "claude_mar"), ("claude_mar", "claude_jan")])
def test_the_edited_conversation_keeps_its_newest_version_whatever_the_upload_order(
    order: tuple[str, str],
) -> None:
    merged = merge_corpora([_corpus(n) for n in order])
    taxes = next(c for c in merged.conversations if c.id == "c-taxes")
    assert len(taxes.messages) == 4
    assert "brontavel" in taxes.messages[2].text


def test_a_tie_in_update_time_goes_to_the_later_upload() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    first = Conversation(id="x", updated_at=at, messages=[Message(id="a", role="user", text="one")])
    second = msgspec.structs.replace(first, title="renamed")
    merged = merge_corpora([Corpus(conversations=[first]), Corpus(conversations=[second])])
    assert merged.conversations[0].title == "renamed"
    merged = merge_corpora([Corpus(conversations=[second]), Corpus(conversations=[first])])
    assert merged.conversations[0].title is None


def test_the_model_switch_survives_the_merge() -> None:
    merged = merge_corpora(_all())
    switch = next(c for c in merged.conversations if c.id == "g-switch")
    assert [m.model for m in switch.messages if m.role == "assistant"] == ["gpt-4o", "o3"]


def test_content_hashes_tell_unchanged_from_edited_conversations() -> None:
    jan, mar = merge_corpora([_corpus("claude_jan")]), merge_corpora([_corpus("claude_mar")])
    assert jan.content_hashes["c-tomato"] == mar.content_hashes["c-tomato"]
    assert jan.content_hashes["c-taxes"] != mar.content_hashes["c-taxes"]
    taxes = next(c for c in mar.conversations if c.id == "c-taxes")
    assert mar.content_hashes["c-taxes"] == content_hash(taxes)


def test_one_id_used_by_two_vendors_keeps_both_conversations() -> None:
    claude = Corpus(source="claude", conversations=[Conversation(id="same", source="claude")])
    chatgpt = Corpus(source="chatgpt", conversations=[Conversation(id="same", source="chatgpt")])
    merged = merge_corpora([claude, chatgpt])
    assert [c.id for c in merged.conversations] == ["same", "chatgpt:same"]
    assert merged.health.duplicates_merged == 0


def test_health_of_the_members_is_summed() -> None:
    a = Corpus(health=msgspec.structs.replace(Corpus().health, items_parsed=3, notes={"n": 1}))
    b = Corpus(health=msgspec.structs.replace(Corpus().health, items_parsed=4, notes={"n": 2}))
    merged = merge_corpora([a, b])
    assert merged.health.items_parsed == 7
    assert merged.health.notes == {"n": 3}


def test_nothing_to_merge_is_an_error() -> None:
    with pytest.raises(NoMembersError):
        merge_corpora([])
