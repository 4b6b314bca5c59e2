"""The launcher's supervisor: watches the processes, restarts the dead, reports what it did.

A background thread polls every process a few times a second and applies
:class:`~convoscope_stack.supervision.RestartPolicy` (the decisions live in
:mod:`convoscope_stack.supervision`; this module only does the I/O): it starts
processes again, writes one structured log line per exit and per restart to
``<logs>/stack.log``, hands a human sentence to ``report`` (the console of
``make run``), and keeps the status record the gateway shows in ``/api/health``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import structlog

from convoscope_common.launcher_status import (
    REFRESH_INTERVAL,
    LauncherStatus,
    ProcessStatus,
    remove_status,
    write_status,
)
from convoscope_stack.supervision import (
    GiveUp,
    Phase,
    Restart,
    RestartPolicy,
    ServiceTrack,
    give_up_message,
    restart_message,
)

# The exit status recorded when a process could not even be started again.
SPAWN_FAILED = 127


def _file_logger(stream: TextIO) -> structlog.typing.FilteringBoundLogger:
    """JSON lines into ``stream``, without touching structlog's global configuration
    (the launcher also runs inside test processes that configure their own)."""
    logger: structlog.typing.FilteringBoundLogger = structlog.wrap_logger(
        structlog.PrintLogger(stream),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(0),
    )
    return logger.bind(logger="convoscope_stack")


class Supervisor:
    """Keeps the launcher's processes running (see the module docstring)."""

    def __init__(
        self,
        policy: RestartPolicy,
        processes: Callable[[], Mapping[str, subprocess.Popen[bytes]]],
        respawn: Callable[[str], subprocess.Popen[bytes]],
        *,
        status_path: Path,
        log_path: Path,
        report: Callable[[str], None],
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._processes = processes
        self._respawn = respawn
        self.status_path = status_path
        self.report = report
        self.interval = interval
        self._clock = clock
        self._log_stream = open(log_path, "a", encoding="utf-8", buffering=1)
        self.log = _file_logger(self._log_stream)
        now = clock()
        self.tracks = {name: ServiceTrack(name, started_at=now) for name in processes()}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_write = 0.0

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Write the first status record and start watching in a daemon thread."""
        self.write_status()
        self.log.info("supervisor_started", services=sorted(self.tracks), policy=vars(self.policy))
        self._thread = threading.Thread(target=self._run, name="convoscope-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the processes are stopped on purpose) and remove the record."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        remove_status(self.status_path)
        if not self._log_stream.closed:
            self.log.info("supervisor_stopped")
            self._log_stream.close()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.step()
            except Exception as exc:  # the supervisor must outlive any one bad step
                self.log.error("supervisor_step_failed", error=type(exc).__name__)

    # --- one pass -------------------------------------------------------------------

    def step(self) -> None:
        """Check every process once: note the dead, restart those whose backoff is over."""
        now = self._clock()
        changed = False
        procs = self._processes()
        for name, track in self.tracks.items():
            if track.phase is Phase.RUNNING:
                proc = procs.get(name)
                returncode = proc.poll() if proc is not None else SPAWN_FAILED
                if returncode is not None:
                    self._on_exit(track, returncode, now)
                    changed = True
            elif track.due(now):
                self._restart(track, now)
                changed = True
        if changed or now - self._last_write >= REFRESH_INTERVAL:
            self.write_status()

    def _on_exit(self, track: ServiceTrack, returncode: int, now: float) -> None:
        decision = track.exited(returncode, now, self.policy)
        exit_status = track.last_exit
        assert exit_status is not None
        fields = {
            "exit_code": exit_status.exit_code,
            "signal": exit_status.signal_name,
            "restarts": track.restarts,
            "crashes_in_a_row": track.crashes,
        }
        match decision:
            case Restart(delay=delay) if exit_status.recycled:
                self.log.info("service_recycled", service=track.name, **fields)
            case Restart(delay=delay):
                self.log.warning("service_exited", service=track.name, restart_in=delay, **fields)
            case GiveUp():
                self.log.error("service_given_up", service=track.name, **fields)
                # The record first: whoever reads the line and asks /api/health then
                # finds the state it announces.
                self.write_status()
                self.report(give_up_message(track))

    def _restart(self, track: ServiceTrack, now: float) -> None:
        try:
            proc = self._respawn(track.name)
        except Exception as exc:  # e.g. the binary vanished: count it as one more crash
            self.log.error("service_restart_failed", service=track.name, error=type(exc).__name__)
            track.restarted(now)
            self._on_exit(track, SPAWN_FAILED, now)
            return
        track.restarted(now)
        exit_status = track.last_exit
        # A process that ended itself to be started afresh is no incident.
        planned = exit_status is not None and exit_status.recycled
        (self.log.info if planned else self.log.warning)(
            "service_restarted",
            service=track.name,
            exit_code=exit_status.exit_code if exit_status else None,
            signal=exit_status.signal_name if exit_status else None,
            restarts=track.restarts,
            pid=proc.pid,
        )
        self.write_status()  # before the line, as for a give-up
        self.report(restart_message(track))

    # --- the status record ------------------------------------------------------------

    def status(self) -> LauncherStatus:
        """What the gateway shows: every process's state, restarts and last exit."""
        procs = self._processes()
        return LauncherStatus(
            launcher_pid=os.getpid(),
            updated_at=time.time(),
            processes={
                name: ProcessStatus(
                    state=track.phase.value,
                    restarts=track.restarts,
                    last_exit=track.last_exit.describe() if track.last_exit else None,
                    pid=procs[name].pid if track.phase is Phase.RUNNING and name in procs else None,
                )
                for name, track in self.tracks.items()
            },
        )

    def write_status(self) -> None:
        """Write the record now (the gateway reads it on each health check)."""
        try:
            write_status(self.status_path, self.status())
        except OSError as exc:
            self.log.warning("status_write_failed", error=type(exc).__name__)
        self._last_write = self._clock()
