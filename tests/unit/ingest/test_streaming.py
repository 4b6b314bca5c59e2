"""The streaming parse stores exactly the bytes ``encode_corpus(parse_export(...))`` stores,
with the same metadata, for every export it streams; for everything else it hands over
to ``parse_export`` (Fallback) or raises the very error ``parse_export`` raises."""

from __future__ import annotations

import json
import random
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convoscope_common.corpus import encode_corpus
from convoscope_ingest.corpus_writer import array_header
from convoscope_ingest.errors import IngestError
from convoscope_ingest.health import MAX_SKIPPED_DETAILS
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export
from convoscope_ingest.streaming import Fallback, StreamParser
from convoscope_ingest.zipstream import ZipPlan

REPO = Path(__file__).resolve().parents[3]
REAL_SHAPES = sorted(
    p for p in (REPO / "tests" / "data" / "real_shapes").glob("*.json") if ".golden" not in p.name
)
SAMPLES = sorted((REPO / "tests" / "data").glob("*.json"))
MALFORMED = sorted(p for p in (REPO / "tests" / "malformed").iterdir() if p.suffix != ".py")


def _stream(data: bytes, chunk: int, limits: ParseLimits) -> tuple[bytes, bytes]:
    parser = StreamParser(len(data), limits)
    for start in range(0, len(data), chunk):
        parser.feed(data[start : start + chunk])
    streamed = parser.finish()
    return streamed.to_bytes(), msgspec.json.encode(streamed.metadata)


def assert_same(
    data: bytes, chunk: int, *, streams: bool = True, limits: ParseLimits | None = None
) -> None:
    """Streaming agrees with parse_export; ``streams``: it must not fall back."""
    limits = limits or ParseLimits()
    try:
        parsed = parse_export(data, limits=limits)
    except IngestError as exc:
        try:
            _stream(data, chunk, limits)
        except Fallback:
            return
        except IngestError as streamed_exc:
            assert (streamed_exc.code, streamed_exc.message) == (exc.code, exc.message)
            return
        raise AssertionError(f"streamed, but parse_export raised {exc.code}") from None
    try:
        stored, metadata = _stream(data, chunk, limits)
    except Fallback:
        assert not streams, "fell back on a plain export"
        return
    assert stored == encode_corpus(parsed.corpus)
    assert metadata == msgspec.json.encode(parsed.metadata)


@pytest.mark.parametrize("vendor", ["claude", "chatgpt"])
@pytest.mark.parametrize("chunk", [977, 65536])
def test_generated_exports_stream_to_the_same_bytes(generator, vendor, chunk):
    data = getattr(generator, f"generate_{vendor}_export")(60, seed=11)
    assert_same(data, chunk)


@pytest.mark.parametrize("path", REAL_SHAPES + SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("chunk", [1, 4096])
def test_real_shapes_stream_to_the_same_bytes(path, chunk):
    data = path.read_bytes()
    # One conversation object on its own is not an array: parse_export reads it.
    assert_same(data, chunk, streams=data.lstrip()[:1] == b"[")


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_malformed_files_fall_back_or_fail_the_same_way(path):
    data = path.read_bytes()
    with pytest.raises(IngestError):
        parse_export(data)
    for chunk in (1, 8192):
        assert_same(data, chunk)


def _claude(sample) -> list[dict]:
    return json.loads(sample("claude_sample.json"))


def test_zip_layouts_stream_to_the_same_bytes(sample, zip_of):
    conversations = _claude(sample)
    newer = json.loads(json.dumps(conversations[0]))
    newer["updated_at"] = "2026-07-01T00:00:00Z"
    gpt = json.loads(sample("chatgpt_sample.json"))
    layouts = [
        {
            "conversations.json": sample("claude_sample.json"),
            "users.json": b"[]",
            "projects.json": json.dumps([{"uuid": "p1", "name": "Kitchen"}]).encode(),
            "memories.json": b"{}",
        },
        {
            "conversations-000.zip": zip_of(
                {"conversations.json": json.dumps(conversations[:2]).encode()}
            ),
            "conversations-001.zip": zip_of(
                {"conversations.json": json.dumps([newer, conversations[2]]).encode()}
            ),
            "projects-000.zip": zip_of({"projects/p9.json": b'{"uuid": "p9", "name": "T"}'}),
        },
        {
            "a/conversations.json": b"[]",
            "b/conversations.json": b"\xef\xbb\xbf" + sample("claude_sample.json"),
        },
        {
            "Portal/chatgpt-0001.zip": zip_of(
                {
                    "conversations-000.json": json.dumps(gpt[:2]).encode(),
                    "conversations-001.json": json.dumps(gpt[2:]).encode(),
                }
            )
        },
    ]
    for members in layouts:
        for chunk in (3, 65536):
            assert_same(zip_of(members), chunk)


def test_mixed_vendors_and_wrapped_members_in_a_zip_fall_back(sample, zip_of):
    mixed = zip_of(
        {
            "a/conversations.json": sample("claude_sample.json"),
            "b/conversations.json": sample("chatgpt_sample.json"),
        }
    )
    assert_same(mixed, 4096)
    wrapped = b'{"conversations": ' + sample("claude_sample.json") + b"}"
    assert_same(zip_of({"conversations.json": wrapped}), 4096, streams=False)


def test_duplicates_and_skips_keep_their_order_past_the_detail_cap(sample):
    conversations = _claude(sample)
    older = json.loads(json.dumps(conversations[1]))
    older["updated_at"] = "2001-01-01T00:00:00Z"
    newer = json.loads(json.dumps(conversations[0]))
    newer["updated_at"] = "2030-01-01T00:00:00Z"
    invalid = [{"uuid": f"x{i}", "chat_messages": "not a list"} for i in range(MAX_SKIPPED_DETAILS)]
    items = [*conversations, older, *invalid, newer, {"neither": 1}]
    data = json.dumps(items, indent=1).encode()
    parsed = parse_export(data)
    assert parsed.metadata.parse_health.skipped_reasons["duplicate conversation"] == 2
    assert_same(data, 1000)


@pytest.mark.parametrize("count", [0, 1, 15, 16, 65535, 65536, 2**32 - 1])
def test_array_headers_are_the_ones_msgpack_writes(count):
    expected = msgspec.msgpack.encode([None] * min(count, 70000))[: len(array_header(count))]
    if count <= 70000:
        assert array_header(count) == expected
    else:
        assert array_header(count) == b"\xdd" + count.to_bytes(4, "big")


def test_more_than_fifteen_conversations_use_the_longer_header(generator):
    data = generator.generate_claude_export(17, seed=2)
    assert_same(data, 8192)


def test_size_limits_are_the_same_errors():
    with pytest.raises(IngestError) as streamed:
        StreamParser(11, ParseLimits(max_bytes=10))
    with pytest.raises(IngestError) as whole:
        parse_export(b"x" * 11, limits=ParseLimits(max_bytes=10))
    assert (streamed.value.code, streamed.value.message) == (whole.value.code, whole.value.message)


def test_depth_limit_holds_for_streamed_items(sample):
    data = sample("claude_sample.json")
    assert_same(data, 512, limits=ParseLimits(max_json_depth=5))
    assert_same(data, 512, limits=ParseLimits(max_json_depth=64))


# Strings that stress a splitter: brackets, quotes, escapes, unicode, surrogates.
tricky_text = st.text(
    alphabet=st.sampled_from(list('[]{}",:\\/ \n\tab\u00e9\u2028\U0001f600')), max_size=30
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text
field_value = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=12,
)
claude_item = st.fixed_dictionaries(
    {
        "uuid": st.sampled_from(["c1", "c2", "c3", ""]),
        "chat_messages": st.lists(
            st.fixed_dictionaries(
                {
                    "uuid": st.uuids().map(str),
                    "sender": st.sampled_from(["human", "assistant"]),
                    "text": tricky_text,
                    "created_at": st.sampled_from(
                        ["2026-05-14T09:12:04Z", "2024-01-01T00:00:00+02:00", "bad"]
                    ),
                },
                optional={"extra": field_value},
            ),
            max_size=4,
        ),
    },
    optional={
        "name": tricky_text,
        "updated_at": st.sampled_from(["2026-01-01T00:00:00Z"]),
        "other": field_value,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(claude_item | field_value, max_size=6),
    chunk=st.integers(min_value=1, max_value=64),
    indent=st.sampled_from([None, 0, 2]),
    cut=st.none() | st.integers(min_value=0, max_value=2000),
    ascii_only=st.booleans(),
)
def test_any_array_streams_like_parse_export(items, chunk, indent, cut, ascii_only):
    data = json.dumps(items, indent=indent, ensure_ascii=ascii_only).encode()
    if cut is not None:
        data = data[:cut]  # truncated documents must fall back, never stream
    if data:
        # A whole array that parse_export reads is always streamed.
        assert_same(data, chunk, streams=cut is None)


_BASE = json.dumps(
    [
        {
            "uuid": "c1",
            "name": 'a "quoted" [title] {x}',
            "chat_messages": [
                {"uuid": "m1", "sender": "human", "text": 'x\\"]},{', "created_at": "2026-01-01"},
                {"uuid": "m2", "sender": "assistant", "content": [{"type": "text", "text": "1.5"}]},
            ],
        },
        {"uuid": "c2", "chat_messages": [], "updated_at": "2026-02-01T00:00:00Z"},
    ]
).encode()


@settings(max_examples=300, deadline=None)
@given(
    at=st.integers(min_value=0, max_value=len(_BASE)),
    edit=st.sampled_from(["replace", "insert", "delete"]),
    byte=st.sampled_from(list(b'[]{}",:\\ 0e-.\xff\x00a')),
    chunk=st.integers(min_value=1, max_value=40),
)
def test_one_damaged_byte_never_streams_differently(at, edit, byte, chunk):
    data = bytearray(_BASE)
    if edit == "insert":
        data[at:at] = bytes([byte])
    elif at < len(data):
        data[at : at + 1] = b"" if edit == "delete" else bytes([byte])
    assert_same(bytes(data), chunk, streams=False)


def test_a_zip_refused_in_archive_order_is_refused_when_streamed(sample, zip_of, monkeypatch):
    """Streaming inflates conversation files last; the budget replay in archive order
    still refuses what read_export_zip refuses (here: the whole upload's ratio, reached
    only once a small, very compressible conversations file came before the projects)."""
    conversations = _claude(sample)
    conversations_file = json.dumps(conversations).encode()
    # Under the 1 MiB ratio-check floor, and compressed several hundred times.
    conversations_file = conversations_file[:-1] + b" " * (900_000 - len(conversations_file)) + b"]"
    projects = json.dumps(
        [{"uuid": random_hex, "name": "p"} for random_hex in _hex_strings(18_000)]
    ).encode()
    assert len(projects) > 1 << 20
    data = zip_of({"conversations.json": conversations_file, "projects.json": projects})
    limits = ParseLimits(max_compression_ratio=3.0)
    with pytest.raises(IngestError) as whole:
        parse_export(data, limits=limits)
    assert whole.value.code == "zip_bomb"
    assert_same(data, 65536, limits=limits)
    # Without the replay, the streamed order alone would have accepted it.
    monkeypatch.setattr(ZipPlan, "check_budget_in_archive_order", lambda self: None)
    parser = StreamParser(len(data), limits)
    parser.feed(data)
    assert parser.finish().metadata.conversations == 3


def _hex_strings(count: int) -> list[str]:
    rng = random.Random(4)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]
