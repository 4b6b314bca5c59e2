"""When to restart a service that exited, and when to give up: the launcher's restart policy.

Pure logic, no processes and no clock of its own: the supervisor
(:mod:`convoscope_stack.supervisor`) feeds it exit codes and monotonic times and
acts on the decisions. A service that dies is restarted after a backoff that
doubles with each consecutive crash (0.5 s, 1 s, 2 s ... up to 30 s); one that
then runs for a minute counts as healthy again, which resets the backoff and the
crash count. A service that crashes ``max_restarts`` times in a row after being
restarted (a crash loop at start, e.g. a broken setting) is given up on and
reported, instead of being restarted for ever.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from convoscope_common.exit_codes import RECYCLED


class PolicyError(ValueError):
    """A restart setting has a value the launcher cannot use; the message names it."""


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff and crash-loop limits (all times in seconds)."""

    backoff: float = 0.5  # delay before the first restart after a healthy run
    backoff_max: float = 30.0
    healthy_after: float = 60.0  # a run this long resets the backoff and the crash count
    max_restarts: int = 5  # restarts in a row that crash before healthy_after, then give up

    def __post_init__(self) -> None:
        if self.backoff <= 0 or self.backoff_max < self.backoff:
            raise PolicyError("restart backoff must be > 0 and not above its maximum")
        if self.healthy_after <= 0:
            raise PolicyError("the healthy run time must be > 0")
        if self.max_restarts < 1:
            raise PolicyError("at least one restart must be allowed")

    def delay(self, crashes: int) -> float:
        """The backoff before the restart that follows the ``crashes``-th crash in a row."""
        return min(self.backoff * 2.0 ** max(0, crashes - 1), self.backoff_max)


# Environment variable -> (policy field, type); read by ``python -m convoscope_stack``.
POLICY_ENV: dict[str, tuple[str, type]] = {
    "CONVOSCOPE_RESTART_BACKOFF": ("backoff", float),
    "CONVOSCOPE_RESTART_BACKOFF_MAX": ("backoff_max", float),
    "CONVOSCOPE_RESTART_HEALTHY_AFTER": ("healthy_after", float),
    "CONVOSCOPE_RESTART_MAX_ATTEMPTS": ("max_restarts", int),
}


def policy_from_env(env: Mapping[str, str]) -> RestartPolicy:
    """The policy from ``CONVOSCOPE_RESTART_*`` variables; :class:`PolicyError` names a bad one."""
    values: dict[str, float | int] = {}
    for key, (name, kind) in POLICY_ENV.items():
        if key in env:
            try:
                values[name] = kind(env[key])
            except ValueError:
                raise PolicyError(f"{key}: cannot use {env[key]!r}") from None
    try:
        return RestartPolicy(**values)  # type: ignore[arg-type]
    except PolicyError as exc:
        raise PolicyError(f"CONVOSCOPE_RESTART_*: {exc}") from None


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended: ``returncode`` as Popen reports it (negative: killed by a signal)."""

    returncode: int

    @property
    def signal_name(self) -> str | None:
        """``SIGKILL`` for a process killed by a signal, else None."""
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    @property
    def exit_code(self) -> int | None:
        """The exit code of a process that exited by itself, else None."""
        return self.returncode if self.returncode >= 0 else None

    @property
    def recycled(self) -> bool:
        """Whether the process ended itself to be started afresh (not a crash)."""
        return self.returncode == RECYCLED

    def describe(self) -> str:
        """``SIGKILL``, ``exit code 2``, or ``recycled`` (exit code 75, on purpose)."""
        if self.recycled:
            return "recycled"
        return self.signal_name or f"exit code {self.returncode}"


class Phase(StrEnum):
    """Where a supervised service is (also its ``state`` in ``/api/health``)."""

    RUNNING = "running"
    RESTARTING = "restarting"  # dead, waiting out its backoff
    FAILED = "failed"  # crashed too often in a row: not restarted any more


@dataclass(frozen=True)
class Restart:
    """Restart the service after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True)
class GiveUp:
    """Stop restarting: the service crashed ``crashes`` times in a row."""

    crashes: int


Decision = Restart | GiveUp


@dataclass
class ServiceTrack:
    """The supervision state of one service (one process name)."""

    name: str
    started_at: float
    phase: Phase = Phase.RUNNING
    restarts: int = 0  # restarts done since the launcher started
    crashes: int = 0  # exits in a row, none after a healthy run
    restart_at: float | None = None
    last_exit: ExitStatus | None = None

    def exited(self, returncode: int, now: float, policy: RestartPolicy) -> Decision:
        """The process ended at ``now``: restart it (at once when it ended itself to be
        started afresh, later after a crash), or give up."""
        if returncode == RECYCLED:
            # On purpose (an analyzer giving its memory back): no crash, no backoff.
            self.last_exit = ExitStatus(returncode)
            self.phase = Phase.RESTARTING
            self.restart_at = now
            return Restart(0.0)
        if now - self.started_at >= policy.healthy_after:
            self.crashes = 0  # it was healthy: this is a fresh failure, not a crash loop
        self.crashes += 1
        self.last_exit = ExitStatus(returncode)
        # The first crash comes after a healthy run; every further one is a restart that
        # did not survive, and max_restarts of those make a crash loop.
        if self.crashes > policy.max_restarts:
            self.phase = Phase.FAILED
            self.restart_at = None
            return GiveUp(self.crashes)
        delay = policy.delay(self.crashes)
        self.phase = Phase.RESTARTING
        self.restart_at = now + delay
        return Restart(delay)

    def due(self, now: float) -> bool:
        """Whether the backoff is over and the service should be started again."""
        return (
            self.phase is Phase.RESTARTING
            and self.restart_at is not None
            and now >= self.restart_at
        )

    def restarted(self, now: float) -> None:
        """A new process was started at ``now``."""
        self.phase = Phase.RUNNING
        self.started_at = now
        self.restart_at = None
        self.restarts += 1


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def restart_message(track: ServiceTrack) -> str:
    """The console line for a restart: ``analyzer died (SIGKILL), restarted (2nd time)``,
    or for a process that ended itself to be started afresh: ``analyzer-2 recycled to
    give memory back, started again (1st time)``."""
    if track.last_exit is not None and track.last_exit.recycled:
        return (
            f"{track.name} recycled to give memory back, "
            f"started again ({ordinal(track.restarts)} time)"
        )
    cause = track.last_exit.describe() if track.last_exit else "unknown cause"
    return f"{track.name} died ({cause}), restarted ({ordinal(track.restarts)} time)"


def give_up_message(track: ServiceTrack) -> str:
    """The console line when a service is given up on."""
    cause = track.last_exit.describe() if track.last_exit else "unknown cause"
    return (
        f"{track.name} keeps crashing ({cause}, {track.crashes} times in a row): "
        "not restarted any more; the other services keep running"
    )
