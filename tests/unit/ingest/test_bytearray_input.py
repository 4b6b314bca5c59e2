"""Uploads arrive as the bytearray the object store read filled (no second copy):
every file parses exactly as it does from bytes, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_common.corpus import encode_corpus
from convoscope_ingest.errors import IngestError
from convoscope_ingest.parsing import parse_export

TESTS = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for p in [
        *(TESTS / "malformed").iterdir(),
        *(TESTS / "data").glob("*.json"),
        *(TESTS / "data" / "real_shapes").glob("*"),
    ]
    if p.is_file() and p.suffix != ".py" and not p.name.endswith(".golden.json")
)


def _outcome(data: bytes | bytearray) -> object:
    try:
        return encode_corpus(parse_export(data).corpus)
    except IngestError as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_bytearray_parses_like_bytes(path: Path) -> None:
    data = path.read_bytes()
    assert _outcome(bytearray(data)) == _outcome(data)
