"""The local launcher's status record: which processes it supervises, their state and restarts.

``python -m convoscope_stack`` (``make run``) rewrites this small JSON file whenever
a process dies, restarts or is given up on, and every few seconds besides; it
passes the path to every service as ``CONVOSCOPE_LAUNCHER_STATUS``. The gateway
reads it for ``/api/health`` ("processes") and ``/metrics``. A record that is not
refreshed any more (the launcher is gone) is ignored. Under Docker Compose there
is no launcher, no file, and the health view simply has no processes.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Literal

import msgspec

STATUS_VERSION = 1
# The environment variable that tells the services where the record is (Settings.launcher_status).
STATUS_FILE_ENV = "CONVOSCOPE_LAUNCHER_STATUS"
# The launcher refreshes the record this often; a reader ignores it after STALE_AFTER.
REFRESH_INTERVAL = 2.0
STALE_AFTER = 15.0

ProcessState = Literal["running", "restarting", "failed"]


class ProcessStatus(msgspec.Struct, kw_only=True):
    """One supervised process (``/api/health`` → ``processes``)."""

    state: ProcessState
    restarts: int = 0
    # How the last run ended: "SIGKILL", "exit code 2"; None if it never died.
    last_exit: str | None = None
    pid: int | None = None


class LauncherStatus(msgspec.Struct, kw_only=True):
    """The whole record, as written by the launcher."""

    v: int = STATUS_VERSION
    launcher_pid: int
    updated_at: float  # Unix time of the last write
    processes: dict[str, ProcessStatus] = {}


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(LauncherStatus)


def write_status(path: Path, status: LauncherStatus) -> None:
    """Replace the record atomically, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(_encoder.encode(status))
    os.replace(tmp, path)


def read_status(path: str | Path, now: float | None = None) -> LauncherStatus | None:
    """The record at ``path`` if it exists, parses and is fresh; otherwise None."""
    if not path:
        return None
    try:
        status = _decoder.decode(Path(path).read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    now = time.time() if now is None else now
    if now - status.updated_at > STALE_AFTER:
        return None
    return status


def remove_status(path: Path) -> None:
    """Delete the record (the launcher is stopping)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
