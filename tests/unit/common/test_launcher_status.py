"""The launcher's status record: written atomically, ignored when stale or unreadable."""

from __future__ import annotations

import time
from pathlib import Path

from convoscope_common.config import load_settings
from convoscope_common.launcher_status import (
    STALE_AFTER,
    STATUS_FILE_ENV,
    LauncherStatus,
    ProcessStatus,
    read_status,
    remove_status,
    write_status,
)


def _status(updated_at: float) -> LauncherStatus:
    return LauncherStatus(
        launcher_pid=123,
        updated_at=updated_at,
        processes={
            "analyzer": ProcessStatus(state="running", restarts=2, last_exit="SIGKILL", pid=9),
            "exporter": ProcessStatus(state="failed", restarts=5, last_exit="exit code 2"),
        },
    )


def test_round_trip_and_no_temporary_file_left(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status(path, _status(time.time()))
    assert read_status(path) == _status(read_status(path).updated_at)  # type: ignore[union-attr]
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]


def test_a_stale_record_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    now = time.time()
    write_status(path, _status(now - STALE_AFTER - 1))
    assert read_status(path, now=now) is None
    assert read_status(path, now=now - 2) is not None


def test_missing_empty_or_garbled_records_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    assert read_status("") is None
    assert read_status(path) is None
    path.write_text('{"launcher_pid": "x"}')
    assert read_status(path) is None
    path.write_text("{not json")
    assert read_status(path) is None
    remove_status(path)
    remove_status(path)  # twice is fine
    assert not path.exists()


def test_the_services_learn_the_path_from_their_settings() -> None:
    assert load_settings({STATUS_FILE_ENV: "/x/status.json"}).launcher_status == "/x/status.json"
    assert load_settings({}).launcher_status == ""
