"""The byte-level guards: depth scan, positions, UTF-8 offsets, BOM handling."""

from __future__ import annotations

import random

import msgspec
import pytest

from convoscope_ingest.errors import InvalidUtf8Error
from convoscope_ingest.jsonguard import first_invalid_utf8, json_depth_exceeds, strip_bom
from convoscope_ingest.textpos import line_column


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_TRICKY_STRINGS = ["[[[", "}}]]", 'a "quoted" [b]', "back\\slash\\", '\\"[', "", '""', "\\\\"]


def _random_value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 12 or roll < 0.3:
        return rng.choice([*_TRICKY_STRINGS, 1, None, True, 2.5])
    if roll < 0.65:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(_TRICKY_STRINGS) + str(i): _random_value(rng, depth + 1)
        for i in range(rng.randint(0, 3))
    }


@pytest.mark.parametrize("seed", range(40))
def test_depth_scan_matches_a_recursive_count(seed):
    rng = random.Random(seed)
    value = _random_value(rng, 0)
    data = msgspec.json.encode(value)
    if seed % 2:
        data = msgspec.json.format(data, indent=2)
    depth = _depth(value)
    assert not json_depth_exceeds(data, depth)
    if depth:
        assert json_depth_exceeds(data, depth - 1)


def test_depth_scan_handles_chunk_boundaries_inside_escapes(monkeypatch):
    from convoscope_ingest import jsonguard

    monkeypatch.setattr(jsonguard, "_SCAN_CHUNK", 7)
    value = [{"k\\\\": ['\\"[[[' * 3, "\\" * 9, [[["x"]]]]}]
    data = msgspec.json.encode(value)
    # list > dict > list > list > list > list
    assert not json_depth_exceeds(data, 6)
    assert json_depth_exceeds(data, 5)


def test_line_column_counts_from_one():
    data = b'[\n  {"a": 1}\n  x\n]'
    assert line_column(data, 0) == (1, 1)
    assert line_column(data, data.index(b"x")) == (3, 3)
    assert line_column(data, len(data)) == (4, 2)


def test_first_invalid_utf8_across_chunks():
    text = ("é" * 10).encode()  # two-byte characters straddle small chunk edges
    assert first_invalid_utf8(text, chunk_size=3) is None
    broken = text[:8] + b"\xff" + text[8:]
    assert first_invalid_utf8(broken, chunk_size=3) == 8
    cut = text[:7] + b"\xff" + text[7:]  # the sequence starting at byte 6 is the bad one
    assert first_invalid_utf8(cut, chunk_size=3) == 6
    truncated = text + "é".encode()[:1]
    assert first_invalid_utf8(truncated, chunk_size=4) == len(text)


def test_bom_is_stripped_and_utf16_refused():
    assert strip_bom(b"\xef\xbb\xbf[1]") == b"[1]"
    with pytest.raises(InvalidUtf8Error, match="UTF-16"):
        strip_bom(b"\xff\xfe[\x00")
