"""Pure parts of the gateway: rate limiting, API keys, owner ids, Socket.IO catch-up events."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from convoscope_common.config import Settings
from convoscope_common.records import ExportState, JobState
from convoscope_common.wire import ErrorInfo
from convoscope_gateway.auth import TokenBucket, check_key, owner_digest, presented_key
from convoscope_gateway.errors import UnauthorizedError
from convoscope_gateway.fanout import event_payload
from convoscope_gateway.routes.upload import file_id_for
from convoscope_gateway.socket_events import state_events

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_token_bucket_allows_the_rate_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(per_minute=3)
    assert [bucket.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take("a", now=0.0)
    assert wait == pytest.approx(20.0)  # one token every 20 s
    assert bucket.take("b", now=0.0) == 0.0  # per client
    assert bucket.take("a", now=20.0) == 0.0


def test_keys_are_optional_and_checked_when_configured() -> None:
    assert check_key(Settings(), None) is None
    keyed = Settings(api_keys=("k1",))
    with pytest.raises(UnauthorizedError):
        check_key(keyed, None)
    with pytest.raises(UnauthorizedError):
        check_key(keyed, "k2")
    assert check_key(keyed, "k1") == owner_digest("k1")
    assert "k1" not in owner_digest("k1")
    assert presented_key({"X-API-Key": "a"}) == "a"
    assert presented_key({"Authorization": "Bearer b"}) == "b"
    assert presented_key({}) is None


def test_file_ids_are_per_content_and_owner() -> None:
    assert file_id_for("ab" * 32, None) == file_id_for("ab" * 32, None)
    assert file_id_for("ab" * 32, "alice") != file_id_for("ab" * 32, "bob")
    assert file_id_for("ab" * 32, "alice") != file_id_for("cd" * 32, "alice")


def test_late_joiner_gets_progress_then_the_final_event() -> None:
    running = JobState(
        job_id="j",
        file_id="f",
        status="processing",
        progress=40.0,
        current_step="Analyzing sentiment",
        created_at=NOW,
        updated_at=NOW,
    )
    assert [name for name, _ in state_events(running)] == ["progress"]
    done = JobState(
        job_id="j", file_id="f", status="complete", progress=100.0, created_at=NOW, updated_at=NOW
    )
    names = state_events(done)
    assert [n for n, _ in names] == ["progress", "complete"]
    assert names[1][1] == {"job_id": "j", "status": "complete", "results_url": "/api/analysis/j"}
    failed = JobState(
        job_id="j",
        file_id="f",
        status="failed",
        created_at=NOW,
        updated_at=NOW,
        error=ErrorInfo(code="job_timeout", message="too long"),
    )
    assert state_events(failed)[-1] == (
        "error",
        {"job_id": "j", "error": "too long", "details": None},
    )
    export = ExportState(
        export_id="export_e", job_id="j", status="complete", created_at=NOW, updated_at=NOW
    )
    assert state_events(export)[-1][1]["results_url"] == "/api/export/export_e"


def test_catch_up_payloads_are_the_live_ones() -> None:
    from convoscope_common.wire import CancelledEvent, CompleteEvent, ProgressEvent

    running = JobState(
        job_id="j",
        file_id="f",
        status="processing",
        progress=40.0,
        current_step="Analyzing sentiment",
        message="Scored 10 messages",
        insights=["Found 3 topics"],
        created_at=NOW,
        updated_at=NOW,
    )
    live = ProgressEvent(
        job_id="j",
        progress=40.0,
        current_step="Analyzing sentiment",
        message="Scored 10 messages",
        insights=["Found 3 topics"],
    )
    assert state_events(running) == [event_payload(live)]
    for status, final in (
        ("complete", CompleteEvent(job_id="j")),
        ("cancelled", CancelledEvent(job_id="j")),
    ):
        state = msgspec.structs.replace(running, status=status)
        assert state_events(state)[-1] == event_payload(final), status


def test_bus_events_become_the_seed_payloads() -> None:
    from convoscope_common.wire import ProgressEvent

    name, payload = event_payload(
        ProgressEvent(
            job_id="j", progress=1.0, current_step="s", message="m", insights=["Found 3 topics"]
        )
    )
    assert name == "progress"
    assert payload == {
        "job_id": "j",
        "progress": 1.0,
        "current_step": "s",
        "message": "m",
        "insights": ["Found 3 topics"],
    }


def test_an_old_upload_record_is_not_reused_for_a_reupload() -> None:
    from datetime import timedelta

    from convoscope_common.clock import utcnow
    from convoscope_common.records import FileRecord
    from convoscope_common.wire import FileMetadata
    from convoscope_gateway.routes.upload import _fresh

    def record(expires_in: timedelta) -> FileRecord:
        now = utcnow()
        return FileRecord(
            file_id="f",
            file_hash="sha256:x",
            upload_object="x",
            corpus_object="x.v1",
            metadata=FileMetadata(size=1, conversations=1, messages=1),
            created_at=now,
            expires_at=now + expires_in,
        )

    day = 24 * 3600.0
    assert _fresh(record(timedelta(hours=20)), day)
    assert not _fresh(record(timedelta(hours=2)), day)


def test_the_event_gate_keeps_progress_monotone_and_one_terminal_event() -> None:
    from convoscope_common.wire import CancelledEvent, CompleteEvent, ProgressEvent
    from convoscope_gateway.fanout import EventGate

    gate = EventGate(capacity=2)
    assert gate.admit(ProgressEvent(job_id="a", progress=45.5))
    assert gate.admit(ProgressEvent(job_id="a", progress=60.0))
    assert not gate.admit(ProgressEvent(job_id="a", progress=45.5))  # a stale run, late
    assert gate.admit(CompleteEvent(job_id="a"))
    assert not gate.admit(CompleteEvent(job_id="a"))  # a second terminal event
    assert not gate.admit(CancelledEvent(job_id="a"))
    assert not gate.admit(ProgressEvent(job_id="a", progress=100.0))  # nothing after the end
    assert gate.admit(ProgressEvent(job_id="b", progress=1.0))
    assert gate.admit(ProgressEvent(job_id="c", progress=1.0))
    assert gate.admit(ProgressEvent(job_id="a", progress=1.0))  # forgotten: capacity 2


def test_catch_up_payloads_match_live_ones() -> None:
    """A client that subscribes late must get the same payloads live subscribers got."""
    from convoscope_common.wire import CancelledEvent, CompleteEvent, ErrorEvent, ProgressEvent

    base = {"file_id": "f", "created_at": NOW, "updated_at": NOW}
    cases = [
        (
            JobState(job_id="job_1", status="complete", progress=100.0, **base),
            CompleteEvent(job_id="job_1"),
        ),
        (
            JobState(
                job_id="job_1",
                status="failed",
                error=ErrorInfo(code="job_timeout", message="too long", details="x"),
                **base,
            ),
            ErrorEvent(job_id="job_1", error="too long", details="x"),
        ),
        (JobState(job_id="job_1", status="cancelled", **base), CancelledEvent(job_id="job_1")),
        (
            ExportState(
                export_id="export_1", job_id="job_1", status="complete", created_at=NOW,
                updated_at=NOW,
            ),
            CompleteEvent(job_id="export_1"),
        ),
    ]  # fmt: skip
    for state, live in cases:
        assert state_events(state)[-1] == event_payload(live), state
    running = JobState(
        job_id="job_1", status="processing", progress=40.0, current_step="s", message="m", **base
    )
    caught_up = state_events(running)[0]
    live = event_payload(
        ProgressEvent(job_id="job_1", progress=40.0, current_step="s", message="m")
    )
    assert caught_up[0] == live[0]
    # The catch-up progress adds the job's status; everything else is the live payload.
    assert {k: v for k, v in caught_up[1].items() if k != "status"} == live[1]


def test_an_upload_record_of_an_older_corpus_schema_is_parsed_again() -> None:
    from convoscope_common.clock import utcnow
    from convoscope_common.corpus import CORPUS_SCHEMA_VERSION
    from convoscope_common.records import FileRecord
    from convoscope_common.wire import FileMetadata
    from convoscope_gateway.routes.upload import _current

    def record(version: int) -> FileRecord:
        return FileRecord(
            file_id="f",
            file_hash="sha256:x",
            upload_object="x",
            corpus_object=f"x.v{version}",
            metadata=FileMetadata(size=1, conversations=1, messages=1),
            created_at=utcnow(),
        )

    assert _current(record(CORPUS_SCHEMA_VERSION))
    assert not _current(record(CORPUS_SCHEMA_VERSION - 1))
