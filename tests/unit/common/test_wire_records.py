"""The shared types, split by role: every bus message and record is versioned, old
producers stay readable, and the closed vocabularies have one source."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from typing import Any, get_args

import msgspec
import pytest

from convoscope_common import records, wire
from convoscope_common.options import ExportFormat
from convoscope_exporter.render import SUPPORTED_FORMATS


def _decoded_types(module: types.ModuleType) -> list[type]:
    """The Struct types a module's decoders produce (union members one by one)."""
    found: list[type] = []
    for name in dir(module):
        decoder = getattr(module, name)
        if name.endswith("_decoder") and isinstance(decoder, msgspec.msgpack.Decoder):
            found.extend(get_args(decoder.type) or [decoder.type])
    return found


@pytest.mark.parametrize("module", [wire, records], ids=["wire", "records"])
def test_every_bus_message_and_record_carries_a_version(module: types.ModuleType) -> None:
    decoded = _decoded_types(module)
    assert len(decoded) == (14 if module is wire else 4)
    unversioned = [t.__name__ for t in decoded if "v" not in t.__struct_fields__]
    assert unversioned == []


def test_events_of_an_older_producer_still_decode() -> None:
    # No version field and a results_url the workers no longer send (the gateway adds it).
    old = msgspec.msgpack.encode({"event": "complete", "job_id": "job_1", "results_url": "/x"})
    event = wire.job_event_decoder.decode(old)
    assert event == wire.CompleteEvent(job_id="job_1")
    assert event.v == wire.MESSAGES_VERSION


def test_an_export_record_with_links_in_its_files_still_decodes() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    old: dict[str, Any] = {
        "v": 1,
        "export_id": "export_1",
        "job_id": "job_1",
        "status": "complete",
        "files": [{"format": "csv", "filename": "a.zip", "url": "/api/x", "size": 3}],
        "created_at": now,
        "updated_at": now,
    }
    state = records.export_state_decoder.decode(msgspec.msgpack.encode(old))
    assert state.files == [records.ExportedFile(format="csv", filename="a.zip", size=3)]


def test_terminal_statuses_are_job_statuses() -> None:
    assert records.TERMINAL_STATUSES == {"complete", "failed", "cancelled"}
    assert records.TERMINAL_STATUSES < set(get_args(records.JobStatus))


def test_the_api_offers_exactly_the_formats_the_exporter_renders() -> None:
    assert set(SUPPORTED_FORMATS) == set(get_args(ExportFormat))
