"""The launcher's restart policy as a state machine: no processes, no clock."""

from __future__ import annotations

import pytest

from convoscope_common.exit_codes import RECYCLED
from convoscope_stack.supervision import (
    ExitStatus,
    GiveUp,
    Phase,
    PolicyError,
    Restart,
    RestartPolicy,
    ServiceTrack,
    give_up_message,
    ordinal,
    policy_from_env,
    restart_message,
)

POLICY = RestartPolicy()  # the defaults: 0.5 s doubling to 30 s, healthy after 60 s, 5 restarts
SIGKILL = -9


def test_defaults_are_the_documented_ones() -> None:
    assert (POLICY.backoff, POLICY.backoff_max, POLICY.healthy_after, POLICY.max_restarts) == (
        0.5,
        30.0,
        60.0,
        5,
    )


def test_backoff_doubles_from_half_a_second_up_to_thirty() -> None:
    assert [POLICY.delay(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_a_healthy_service_that_dies_is_restarted_after_the_first_backoff() -> None:
    track = ServiceTrack("analyzer", started_at=0.0)
    decision = track.exited(SIGKILL, now=300.0, policy=POLICY)
    assert decision == Restart(0.5)
    assert track.phase is Phase.RESTARTING
    assert not track.due(300.4)
    assert track.due(300.5)
    track.restarted(300.5)
    assert (track.phase, track.restarts, track.started_at) == (Phase.RUNNING, 1, 300.5)
    assert track.last_exit == ExitStatus(SIGKILL)


def test_a_crash_loop_backs_off_then_is_given_up_after_max_restarts() -> None:
    policy = RestartPolicy(max_restarts=3)
    track = ServiceTrack("exporter", started_at=0.0)
    now, delays = 100.0, []
    decision = track.exited(2, now, policy)
    while isinstance(decision, Restart):
        delays.append(decision.delay)
        now += decision.delay
        assert track.due(now)
        track.restarted(now)
        now += 0.3  # dies at start again: a broken setting
        decision = track.exited(2, now, policy)
    # One restart after the first death plus two more, each crashing at start, then stop.
    assert delays == [0.5, 1.0, 2.0]
    assert decision == GiveUp(crashes=4)
    assert track.restarts == 3
    assert track.phase is Phase.FAILED
    assert not track.due(now + 1000)


def test_a_minute_of_health_resets_the_backoff_and_the_crash_count() -> None:
    track = ServiceTrack("ingest", started_at=0.0)
    assert track.exited(SIGKILL, 10.0, POLICY) == Restart(0.5)
    track.restarted(10.5)
    assert track.exited(SIGKILL, 11.0, POLICY) == Restart(1.0)  # a quick second death
    track.restarted(12.0)
    # Ran for a minute: the next death is a fresh failure, not part of a crash loop.
    assert track.exited(SIGKILL, 72.0, POLICY) == Restart(0.5)
    assert track.crashes == 1
    assert track.restarts == 2


def test_a_service_that_dies_every_few_minutes_is_never_given_up() -> None:
    policy = RestartPolicy(max_restarts=2)
    track = ServiceTrack("analyzer", started_at=0.0)
    now = 0.0
    for _ in range(20):  # e.g. the OOM killer on every big export
        now += 120.0
        assert track.exited(SIGKILL, now, policy) == Restart(0.5)
        now += 0.5
        track.restarted(now)
    assert track.restarts == 20


def test_a_recycled_service_is_started_again_at_once_and_never_counted_as_a_crash() -> None:
    track = ServiceTrack("analyzer-2", started_at=0.0)
    for k in range(20):  # many recycles, each after a few seconds: no crash loop
        now = 3.0 * k + 1.0
        assert track.exited(RECYCLED, now=now, policy=POLICY) == Restart(0.0)
        assert track.phase is Phase.RESTARTING and track.due(now)
        assert track.crashes == 0
        track.restarted(now)
        assert restart_message(track) == (
            f"analyzer-2 recycled to give memory back, started again ({ordinal(k + 1)} time)"
        )
    assert track.last_exit == ExitStatus(RECYCLED)
    assert track.last_exit.describe() == "recycled"
    # A crash after recycles is the first of its series.
    assert track.exited(SIGKILL, now=100.0, policy=POLICY) == Restart(0.5)
    assert track.crashes == 1


@pytest.mark.parametrize(
    ("returncode", "text", "code", "signal"),
    [
        (-9, "SIGKILL", None, "SIGKILL"),
        (-15, "SIGTERM", None, "SIGTERM"),
        (2, "exit code 2", 2, None),
        (0, "exit code 0", 0, None),
    ],
)
def test_exit_status_names_the_signal_or_the_code(
    returncode: int, text: str, code: int | None, signal: str | None
) -> None:
    status = ExitStatus(returncode)
    assert (status.describe(), status.exit_code, status.signal_name) == (text, code, signal)


def test_console_lines() -> None:
    track = ServiceTrack("analyzer", started_at=0.0)
    track.exited(SIGKILL, 100.0, POLICY)
    track.restarted(100.5)
    track.exited(SIGKILL, 200.0, POLICY)
    track.restarted(201.0)
    assert restart_message(track) == "analyzer died (SIGKILL), restarted (2nd time)"
    looping = ServiceTrack("exporter", started_at=0.0, crashes=6, last_exit=ExitStatus(2))
    assert give_up_message(looping).startswith("exporter keeps crashing (exit code 2, 6 times")


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text


def test_policy_from_env_reads_every_setting() -> None:
    policy = policy_from_env(
        {
            "CONVOSCOPE_RESTART_BACKOFF": "0.1",
            "CONVOSCOPE_RESTART_BACKOFF_MAX": "2",
            "CONVOSCOPE_RESTART_HEALTHY_AFTER": "5",
            "CONVOSCOPE_RESTART_MAX_ATTEMPTS": "3",
            "UNRELATED": "x",
        }
    )
    assert policy == RestartPolicy(backoff=0.1, backoff_max=2.0, healthy_after=5.0, max_restarts=3)
    assert policy_from_env({}) == RestartPolicy()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONVOSCOPE_RESTART_BACKOFF": "soon"}, "CONVOSCOPE_RESTART_BACKOFF"),
        ({"CONVOSCOPE_RESTART_MAX_ATTEMPTS": "1.5"}, "CONVOSCOPE_RESTART_MAX_ATTEMPTS"),
        ({"CONVOSCOPE_RESTART_MAX_ATTEMPTS": "0"}, "at least one restart"),
        ({"CONVOSCOPE_RESTART_BACKOFF": "-1"}, "backoff must be > 0"),
        ({"CONVOSCOPE_RESTART_BACKOFF": "5", "CONVOSCOPE_RESTART_BACKOFF_MAX": "1"}, "maximum"),
        ({"CONVOSCOPE_RESTART_HEALTHY_AFTER": "0"}, "healthy run time"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(PolicyError, match=named):
        policy_from_env(env)
