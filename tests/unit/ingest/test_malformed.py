"""Every file of tests/malformed/ is rejected with the status, code and message its
manifest (expected.json) names; plus limits that need files generated at runtime."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from convoscope_common.wire import ErrorInfo
from convoscope_ingest.errors import (
    IngestError,
    TooLargeError,
    TooManyZipMembersError,
    ZipBombError,
)
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import parse_export

MALFORMED = Path(__file__).resolve().parents[2] / "malformed"
MANIFEST: dict[str, dict[str, object]] = json.loads((MALFORMED / "expected.json").read_text())


def test_manifest_covers_every_file():
    files = {p.name for p in MALFORMED.iterdir()} - {"expected.json", "make_corpus.py"}
    files = {name for name in files if not name.startswith(".") and name != "__pycache__"}
    assert files == set(MANIFEST)
    assert len(MANIFEST) >= 25


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_malformed_file_is_rejected_clearly(name):
    expected = MANIFEST[name]
    data = (MALFORMED / name).read_bytes()
    with pytest.raises(IngestError) as caught:
        parse_export(data)
    error = caught.value
    assert (error.status, error.code) == (expected["status"], expected["code"])
    assert expected["message"] in error.message
    info = error.to_error_info()
    assert isinstance(info, ErrorInfo)
    assert (info.code, info.status, info.message) == (error.code, error.status, error.message)


def test_file_over_the_limit_is_413(sample):
    data = sample("claude_sample.json")
    with pytest.raises(TooLargeError) as caught:
        parse_export(data, limits=ParseLimits(max_bytes=len(data) - 1))
    assert caught.value.status == 413


def _zeros_zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("conversations.json", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_stops_at_the_uncompressed_limit_while_inflating(zip_of):
    # Each member's header is under the limit; only counting produced bytes catches it.
    member = b"[" + b" " * (12 << 20) + b"]"
    bomb = zip_of({"a/conversations.json": member, "b/conversations.json": member})
    limits = ParseLimits(max_uncompressed_bytes=16 << 20, max_compression_ratio=1e9)
    with pytest.raises(ZipBombError) as caught:
        parse_export(bomb, limits=limits)
    assert caught.value.status == 413
    assert "expands to more than 16 MB" in caught.value.message


def test_zip_member_declaring_too_much_is_refused_before_inflating():
    bomb = _zeros_zip(64 << 20)  # 64 MB of zeros, about 64 KB compressed
    limits = ParseLimits(max_uncompressed_bytes=16 << 20, max_compression_ratio=1e9)
    with pytest.raises(ZipBombError, match="declares more"):
        parse_export(bomb, limits=limits)


def test_zip_bomb_ratio_is_checked_with_default_limits():
    with pytest.raises(ZipBombError, match="ZIP bomb"):
        parse_export(_zeros_zip(8 << 20))


def test_too_many_zip_members(zip_of):
    data = zip_of({f"media/{i}.txt": b"x" for i in range(30)})
    with pytest.raises(TooManyZipMembersError) as caught:
        parse_export(data, limits=ParseLimits(max_zip_members=20))
    assert caught.value.status == 413


def test_depth_limit_is_configurable(sample):
    with pytest.raises(IngestError) as caught:
        parse_export(sample("claude_sample.json"), limits=ParseLimits(max_json_depth=5))
    assert caught.value.code == "json_too_deep"
